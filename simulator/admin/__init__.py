"""The simulator's own API under /_sim/: health, reset, clock, journal, namespaces."""
