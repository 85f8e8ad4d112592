"""quotes rules (being written)."""
