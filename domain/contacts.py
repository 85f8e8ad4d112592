"""contacts rules (being written)."""
