"""Imports every projection module so their projections are registered."""

from projectors import leads  # noqa: F401
