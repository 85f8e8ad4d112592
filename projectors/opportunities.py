"""opportunities projections (being written)."""
