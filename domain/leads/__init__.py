"""Leads: capture, scoring, assignment, matching, lifecycle and conversion."""
