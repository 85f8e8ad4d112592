"""cases rules (being written)."""
