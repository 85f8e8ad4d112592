"""erp rules (being written)."""
