"""Imports every rule module so their messages and rules are registered.

Add a new area here; nothing else needs to know the list.
"""

from domain import leads, system  # noqa: F401
