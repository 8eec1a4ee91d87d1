"""Plumbing shared by every service: written once, used everywhere."""
