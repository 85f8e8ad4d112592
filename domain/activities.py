"""activities rules (being written)."""
