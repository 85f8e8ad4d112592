"""Service cases: their lifecycle and SLA clocks."""
