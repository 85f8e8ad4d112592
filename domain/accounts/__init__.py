"""Accounts: the customer register, its revenue, account teams and health."""
