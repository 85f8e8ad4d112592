"""Opportunities: deals, their figures and their stages to closing."""
