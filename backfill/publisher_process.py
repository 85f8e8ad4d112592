"""The backfill's publisher, in a process of its own.

On a 2-core machine the generator is the backfill's critical path, and producing (the
confluent-kafka calls, the partitioner, librdkafka's threads) was a large share of its CPU.
Here the generator only appends each record to a chunk and sends whole chunks down a
pipe; this process publishes them, in order, through a `LogPublisher` (so skipping what
Kafka already holds works as before). (Writing the log file here as well was tried: the
cores are saturated by then, and it cost this process more than it saved the generator;
docs/benchmarks.md, item 11.) The pipe's buffer is the back-pressure: a slow broker slows
the generator instead of filling memory. The process dies with the backfill
(PR_SET_PDEATHSIG), like the followers.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
import traceback
from collections.abc import Sequence
from multiprocessing.context import SpawnContext
from types import TracebackType
from typing import Any

from backfill.helper_process import cpu_s, helper_main, peak_rss_mb, start_helper
from backfill.publish import LogConflict, LogPublisher

CHUNK = 4096  # records per hand-over: amortises the pipe, bounds what is in flight
RESULT_TIMEOUT = 3600.0  # the last acknowledgements of a long log on a slow broker


class PublisherProcess:
    """A `RecordSink`: `send` hands records over; `finish` returns once every record is
    acknowledged by Kafka and the rules worker's group is positioned after the history.

    A context manager: leaving it with an exception kills the process (a rerun skips what
    Kafka acknowledged). After `finish`, `produced`, `skipped`, `cpu_s` and `peak_rss_mb`
    tell what it did.
    """

    def __init__(self, ctx: SpawnContext, bootstrap: str, extra: dict[str, Any]) -> None:
        receiver, self._sender = ctx.Pipe(duplex=False)
        self._results = ctx.Queue()
        self._process = ctx.Process(target=helper_main, name="crm-backfill-publisher",
                                    daemon=True,
                                    args=(os.getpid(), "backfill.publisher_process:_main",
                                          bootstrap, extra, receiver, self._results))
        self._receiver = receiver
        self._chunk: list[tuple[str, str, bytes]] = []
        self.produced = self.skipped = 0
        self.cpu_s = self.peak_rss_mb = 0.0

    def __enter__(self) -> PublisherProcess:
        start_helper(self._process)
        self._receiver.close()  # only the child reads: a dead child breaks our pipe
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._sender.close()
        if self._process.is_alive() and exc is not None:
            self._process.kill()
        self._process.join(30)

    def send(self, topic: str, key: str, value: bytes) -> None:
        """The next record of the log."""
        self.send_all(((topic, key, value),))

    def send_all(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        """The next records of the log, in order."""
        chunk = self._chunk
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                self._post(chunk)
                chunk = self._chunk = []

    def finish(self) -> None:
        """Hand over the rest and the end of the log; wait until it is all published."""
        if self._chunk:
            self._post(self._chunk)
            self._chunk = []
        self._post(None)
        self._take_result(RESULT_TIMEOUT)

    def _post(self, chunk: list[tuple[str, str, bytes]] | None) -> None:
        try:
            self._sender.send(chunk)
        except OSError:  # the publisher died: its report says why
            self._take_result(30.0)
            raise RuntimeError("the backfill publisher exited without a report") from None

    def _take_result(self, timeout: float) -> None:
        result = self._wait_for_report(timeout)
        if "error" in result:
            if result["type"] == "LogConflict":
                raise LogConflict(result["message"])
            raise RuntimeError(f"backfill publisher failed:\n{result['error']}")
        self.produced, self.skipped = result["produced"], result["skipped"]
        self.cpu_s, self.peak_rss_mb = result["cpu_s"], result["peak_rss_mb"]

    def _wait_for_report(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while self._process.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                return self._results.get(timeout=0.5)
        try:  # the process ended (or time is up): a report it put just before
            return self._results.get(timeout=0.5)
        except queue.Empty:
            raise RuntimeError(f"the backfill publisher stopped without reporting (exit code "
                               f"{self._process.exitcode}); run the backfill again: it "
                               "skips what Kafka already holds") from None

    @property
    def pid(self) -> int | None:
        """The publisher's process id (once started)."""
        return self._process.pid


def _main(bootstrap: str, extra: dict[str, Any], receiver: Any, results: Any) -> None:
    try:
        with LogPublisher(bootstrap, extra) as publisher:
            while (chunk := receiver.recv()) is not None:
                publisher.send_all(chunk)
        results.put({"produced": publisher.produced, "skipped": publisher.skipped,
                     "cpu_s": cpu_s(), "peak_rss_mb": peak_rss_mb()})
    except BaseException as exc:  # reported to the parent, which raises it there
        results.put({"error": traceback.format_exc(), "type": type(exc).__name__,
                     "message": str(exc)})
    finally:
        with contextlib.suppress(OSError):
            receiver.close()
