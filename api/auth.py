"""API keys: `CRM_API_KEYS="key:role,key:role"`, roles `writer` (may post commands and
read) and `analyst` (reads only).

A key travels in the `X-API-Key` header. Keys are compared in constant time and never
logged or echoed: a principal is known by the first 8 hex digits of its key's SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

ROLES = ("writer", "analyst")
WRITER = "writer"
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from CRM_API_KEYS")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role and a fingerprint of the key (safe to show)."""

    role: str
    fingerprint: str

    def __repr__(self) -> str:  # never the key itself
        return f"Principal({self.role}, {self.fingerprint})"


def fingerprint(key: str) -> str:
    """Short SHA-256 of a key: identifies it in logs and idempotency scopes."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def parse_keys(spec: str | None) -> dict[str, str]:
    """`key:role,key:role` -> {key: role}; raises ValueError naming the bad entry by
    position (not by key)."""
    keys: dict[str, str] = {}
    for n, entry in enumerate((spec or "").split(","), 1):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, role = entry.rpartition(":")
        if not sep or not key or role not in ROLES:
            raise ValueError(f"CRM_API_KEYS entry {n} must be key:role with role "
                             f"{' or '.join(ROLES)}")
        keys[key] = role
    return keys


class KeyRing:
    """The configured keys; looks a presented key up in constant time per key."""

    def __init__(self, keys: dict[str, str]) -> None:
        self._keys = [(k.encode(), role) for k, role in keys.items()]

    def __repr__(self) -> str:
        return f"KeyRing({len(self._keys)} keys)"

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, presented: str) -> Principal | None:
        """The principal of a presented key, or None."""
        raw = presented.encode()
        found: str | None = None
        for key, role in self._keys:
            if hmac.compare_digest(key, raw):
                found = role
        return Principal(found, fingerprint(presented)) if found else None


def current_principal(
    request: Request, key: Annotated[str | None, Security(API_KEY_HEADER)],
) -> Principal:
    """The caller, or 401 when the key is missing or unknown."""
    ring: KeyRing = request.app.state.keys
    principal = ring.lookup(key) if key else None
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or unknown API key",
                            headers={"WWW-Authenticate": "X-API-Key"})
    return principal


def require(role: str | None = None) -> Callable[..., Principal]:
    """A dependency: any known key (role None) or one of `role`; 403 otherwise."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if role is not None and principal.role != role:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"the {principal.role} role may not do this; needs {role}")
        return principal

    return check
