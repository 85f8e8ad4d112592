"""contracts rules (being written)."""
