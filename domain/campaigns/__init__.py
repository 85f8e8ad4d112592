"""Campaigns: planning, A/B variants, members and their responses."""
