"""cases projections (being written)."""
