"""campaigns rules (being written)."""
