"""opportunities rules (being written)."""
