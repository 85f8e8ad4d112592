"""Who may look at the dashboard's figures: an API key, or, on a server bound to the
loopback interface, anyone on this machine.

`crm serve` listens on 127.0.0.1 by default; there the dashboard opens without a key, the
way a local Jupyter or Grafana in its default setup is reached by the person at the
laptop. Keyless access is narrow on purpose:

* only the aggregate reads the page needs (`/v1/reports/{name}`, `/v1/status`); records,
  lists, command status and every POST still need a key;
* only when the server was started on a loopback address (`create_app(...,
  local_dashboard=True)`, which `crm serve` sets for 127.0.0.1 / ::1 / localhost unless
  `--no-local-dashboard`);
* only for a peer on the loopback interface whose `Host` header also names a loopback
  host: a web page elsewhere that re-points its DNS name at 127.0.0.1 (DNS rebinding)
  sends its own name as `Host` and is refused.

Bound to any other interface (`--host 0.0.0.0`) the page asks for a key (analyst or
writer) and sends it as `X-API-Key`. Behind a reverse proxy on the same host every
request comes from loopback: run such a server with `--no-local-dashboard`.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Security, status

from api.auth import API_KEY_HEADER, Principal

LOCAL = Principal("analyst", "loopback")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str | None) -> bool:
    """A loopback address or the local host's name (`localhost`)."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str | None) -> str | None:
    """The host of a `Host` header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`)."""
    if not header:
        return None
    try:
        return urlsplit(f"//{header}").hostname
    except ValueError:  # a malformed port or bracket
        return None


def is_local_request(request: Request) -> bool:
    """The peer is on this machine and addressed the server by a loopback name."""
    peer = request.client.host if request.client else None
    return is_loopback(peer) and is_loopback(host_name(request.headers.get("host")))


def viewer(request: Request,
           key: Annotated[str | None, Security(API_KEY_HEADER)]) -> Principal:
    """Any known key; without one, a local request on a local-dashboard server; else 401.

    A key that is presented is always checked (a wrong key is 401 even locally).
    """
    if key:
        principal = request.app.state.keys.lookup(key)
        if principal is not None:
            return principal
    elif getattr(request.app.state, "local_dashboard", False) and is_local_request(request):
        return LOCAL
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or unknown API key",
                        headers={"WWW-Authenticate": "X-API-Key"})
