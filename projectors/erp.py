"""erp projections (being written)."""
