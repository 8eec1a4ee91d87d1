"""Baseline web apps the gateway is measured beside."""
