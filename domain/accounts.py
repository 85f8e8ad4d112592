"""accounts rules (being written)."""
