"""Loopback ports for the local servers (the embedded broker, the Kafka cluster's nodes)."""

from __future__ import annotations

import contextlib
import socket

LOOPBACK = "127.0.0.1"


def port_free(port: int) -> bool:
    """Can a server bind `port` on loopback now? (TIME_WAIT leftovers do not count.)"""
    with socket.socket() as sock:  # bind like a server does, with SO_REUSEADDR
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all bound at once, so no duplicates)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((LOOPBACK, 0))
        return [int(s.getsockname()[1]) for s in socks]
