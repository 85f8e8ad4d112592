"""sales_org rules (being written)."""
