"""Benchmarks that print figures (they assert nothing about timings). Run: ``python -m bench``."""
