"""Shared machinery. Nothing in here knows about any vendor."""
