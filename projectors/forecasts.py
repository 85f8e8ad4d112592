"""forecasts projections (being written)."""
