"""The identity service: accounts, sessions, profiles, follows and trust."""
