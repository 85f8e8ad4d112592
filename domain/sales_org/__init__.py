"""The sales organisation: territories, reps, quotas and performance."""
