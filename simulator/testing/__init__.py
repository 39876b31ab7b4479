"""Helpers for running the simulator inside a test suite."""
