"""contracts projections (being written)."""
