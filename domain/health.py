"""health rules (being written)."""
