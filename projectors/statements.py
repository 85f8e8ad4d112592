"""A thread that runs a transaction's statements in order while the caller goes on: the
fold (projectors/replay.py) hands it each COPY and reads what it needs through it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Writer:
    """A thread that runs the statements it is sent, in order, on one cursor: PostgreSQL
    takes one chunk's COPY (psycopg2 waits on it without the GIL) while this process
    decodes and folds the next, so the two use both cores. The first error is raised
    by the next `send` and by leaving the `with` block (which waits for the rest)."""

    def __init__(self, cur: Any) -> None:
        """Statements run on `cur`."""
        self._cur = cur
        self._queue: queue.Queue[Callable[[Any], None] | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rebuild-writer", daemon=True)

    def __enter__(self) -> Callable[[Callable[[Any], None]], None]:
        self._thread.start()
        return self.send

    def send(self, statement: Callable[[Any], None]) -> None:
        """Queue `statement` (a function of the cursor); raises an earlier one's error."""
        if self._error is not None:
            raise self._error
        self._queue.put(statement)

    def call(self, query: Callable[[Any], T]) -> T:
        """Run `query` on the cursor once the statements sent before it ran; its result.

        A read must go this way: psycopg2 does not hold the connection's lock through a
        COPY, so a query from another thread would interleave with the COPY's data."""
        return self.submit(query)()

    def submit(self, query: Callable[[Any], T]) -> Callable[[], T]:
        """Queue `query` like `call`, without waiting: a function that waits for its
        result (and raises its error, or an earlier statement's). Statements sent after it
        run after it, so a read queued before a COPY is answered while the COPY runs."""
        done = threading.Event()
        out: list[T] = []

        def run(cur: Any) -> None:
            try:
                out.append(query(cur))
            finally:
                done.set()

        self.send(run)

        def result() -> T:
            while not done.wait(0.1):
                if self._error is not None:  # an earlier statement failed: `run` never runs
                    raise self._error
            if not out:
                raise self._error or RuntimeError("the writer's query gave no result")
            return out[0]

        return result

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error

    def _run(self) -> None:
        while (statement := self._queue.get()) is not None:
            if self._error is None:
                try:
                    statement(self._cur)
                except BaseException as exc:  # handed to the folding thread
                    self._error = exc
