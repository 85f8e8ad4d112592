"""Calendars the rules count time with: the fiscal calendar and business hours."""
