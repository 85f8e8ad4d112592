"""API keys: `CRM_API_KEYS="key:role:user,key:role:user"`, roles `writer` (may post
commands and read) and `analyst` (reads only); `user` names the person or system the key
belongs to (`asha.rao`, `web-shop`): a writer's commands carry it as their `actor`, which
field history shows as who made each change. `key:role` without a user still works; its
commands then carry `key-<fingerprint>` (the key, not a person).

A key travels in the `X-API-Key` header. Keys are compared in constant time and never
logged or echoed: a principal is known by the first 8 hex digits of its key's SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

ROLES = ("writer", "analyst")
WRITER = "writer"
# A user name: what the envelope's `actor` holds (50 characters), no separators of the spec.
USER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,49}")
API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from CRM_API_KEYS")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role, a fingerprint of the key (safe to show) and the user the
    key was given to (None: a key configured without one)."""

    role: str
    fingerprint: str
    user: str | None = None

    @property
    def actor(self) -> str:
        """The `actor` of the commands this caller submits: the key's user, else the key."""
        return self.user or f"key-{self.fingerprint}"

    def __repr__(self) -> str:  # never the key itself
        return f"Principal({self.role}, {self.fingerprint}, {self.user})"


def fingerprint(key: str) -> str:
    """Short SHA-256 of a key: identifies it in logs and idempotency scopes."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


Grant = tuple[str, str | None]
"""What a key may do and whose it is: (role, user or None)."""


def parse_keys(spec: str | None) -> dict[str, Grant]:
    """`key:role:user,key:role` -> {key: (role, user)}; raises ValueError naming the bad
    entry by position (not by key).

    An entry whose last part is a role has no user (`key:role`; a key may itself contain
    `:`); otherwise the last part is the user and the one before it the role.
    """
    keys: dict[str, Grant] = {}
    for n, entry in enumerate((spec or "").split(","), 1):
        entry = entry.strip()
        if not entry:
            continue
        rest, sep, last = entry.rpartition(":")
        user: str | None = None
        key, role = rest, last
        if sep and last not in ROLES:
            key, sep, role = rest.rpartition(":")
            user = last
        if not sep or not key or role not in ROLES or (
                user is not None and not USER_PATTERN.fullmatch(user)):
            raise ValueError(f"CRM_API_KEYS entry {n} must be key:role:user (or key:role) "
                             f"with role {' or '.join(ROLES)} and a user of letters, digits "
                             "and ._@+- (at most 50)")
        keys[key] = (role, user)
    return keys


class KeyRing:
    """The configured keys; looks a presented key up in constant time per key."""

    def __init__(self, keys: dict[str, Grant] | dict[str, str]) -> None:
        """`keys`: key -> (role, user), or key -> role (a key without a user)."""
        self._keys = [(k.encode(), grant if isinstance(grant, tuple) else (grant, None))
                      for k, grant in keys.items()]

    def __repr__(self) -> str:
        return f"KeyRing({len(self._keys)} keys)"

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, presented: str) -> Principal | None:
        """The principal of a presented key, or None."""
        raw = presented.encode()
        found: Grant | None = None
        for key, grant in self._keys:
            if hmac.compare_digest(key, raw):
                found = grant
        return Principal(found[0], fingerprint(presented), found[1]) if found else None


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
