"""Notes and customer interactions."""
