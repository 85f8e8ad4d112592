"""Sales forecasts: the pipeline index and the called, frozen and judged forecasts."""
