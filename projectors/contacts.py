"""contacts projections (being written)."""
