"""Quotations: drafting, approvals, terms, product sync and status."""
