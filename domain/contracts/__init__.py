"""Contracts: drafting, signature, terms and renewals."""
