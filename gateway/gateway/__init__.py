"""The gateway: the only public door of the platform."""
