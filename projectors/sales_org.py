"""sales_org projections (being written)."""
