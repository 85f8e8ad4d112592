"""health projections (being written)."""
