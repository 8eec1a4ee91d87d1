"""Benchmarks: measured on purpose, never asserted in tests."""
