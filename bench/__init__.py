"""Benchmarks: measured on purpose, never asserted in tests."""

import os

# The benchmarks write fast through a few new accounts, and their stacks inherit this process's environment:
# the spam defences driven by trust (content's and communities') would refuse most of those writes.
os.environ.setdefault("SPAM_DEFENCES", "off")
