"""campaigns projections (being written)."""
