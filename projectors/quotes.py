"""quotes projections (being written)."""
