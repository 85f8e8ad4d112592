"""Analysts' reads: read-only SQL and the seed's reports (`queries`), a record's history."""
