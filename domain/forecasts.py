"""forecasts rules (being written)."""
