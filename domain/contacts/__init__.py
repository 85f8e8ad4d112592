"""Contacts: people at accounts, and when they were last in touch."""
