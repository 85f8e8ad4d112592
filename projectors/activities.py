"""activities projections (being written)."""
