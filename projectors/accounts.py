"""accounts projections (being written)."""
