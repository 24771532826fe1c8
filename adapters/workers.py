"""`mend serve --workers N`: N server processes on one port, and the process that watches them.

One Python process runs Python on one CPU at a time. With `--workers N` (PostgreSQL
only) the supervisor starts N `mend serve` processes that all listen on the same
host and port with SO_REUSEPORT, and Linux spreads new connections over them.

Every worker runs the delivery scheduler: dispatchers claim rows with leases and the
scheduled jobs are idempotent, so several of them send each delivery once (see
docs/deliveries.md). Only the first worker holds Slack's Socket Mode connection.

The supervisor forwards SIGTERM and SIGINT to the workers and exits 0 once they
have all stopped cleanly. A worker that stops on its own is logged, the others are
stopped and the supervisor exits 1: Mend never runs at part capacity unnoticed. A
worker whose supervisor is gone stops too, so none is left holding the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from adapters.main import Runtime

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# aiohttp gives requests in flight up to 60 s to finish; past this a worker is killed.
STOP_SECONDS = 75.0
POLL_SECONDS = 0.1
PARENT_CHECK_SECONDS = 1.0


def worker_command(*, host: str, port: int, index: int, supervisor: int) -> list[str]:
    """Return the command line of one worker process."""
    return [
        sys.executable,
        "-m",
        "adapters.cli",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--worker-index",
        str(index),
        "--worker-of",
        str(supervisor),
    ]


def supervise(*, host: str, port: int, count: int) -> int:
    """Run `count` workers on host:port until a signal stops them; return the exit code."""
    workers: list[subprocess.Popen[bytes]] = []
    stop_signal: list[int] = []  # the signal the workers were sent, once they were
    failed = False

    def stop(signum: int, _frame: FrameType | None = None) -> None:
        if not stop_signal:
            log.warning("Stopping %d Mend workers (%s)", len(workers), signal.Signals(signum).name)
            stop_signal.append(signum)
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        for index in range(count):
            if stop_signal:
                break
            command = worker_command(host=host, port=port, index=index, supervisor=os.getpid())
            workers.append(subprocess.Popen(command))
        if stop_signal:  # asked to stop while the workers were starting
            stop(stop_signal[0])
        log.warning(
            "Started %d Mend workers on http://%s:%s (pids %s)",
            len(workers),
            host,
            port,
            ", ".join(str(w.pid) for w in workers),
        )
        seen: set[int] = set()
        deadline: float | None = None
        while True:
            for index, worker in enumerate(workers):
                code = worker.poll()
                if code is None or index in seen:
                    continue
                seen.add(index)
                if not stop_signal:
                    log.error(
                        "Mend worker %d (pid %d) stopped unexpectedly (exit code %d); stopping the others",
                        index,
                        worker.pid,
                        code,
                    )
                    failed = True
                    stop(signal.SIGTERM)
                elif code != 0:
                    log.error("Mend worker %d (pid %d) stopped with exit code %d", index, worker.pid, code)
                    failed = True
            if len(seen) == len(workers):
                return 1 if failed else 0
            if stop_signal:
                deadline = deadline or time.monotonic() + STOP_SECONDS
                if time.monotonic() > deadline:
                    for index, worker in enumerate(workers):
                        if worker.poll() is None:
                            log.error("Mend worker %d (pid %d) did not stop; killing it", index, worker.pid)
                            worker.kill()
                            worker.wait()
                    return 1
            time.sleep(POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for worker in workers:  # only if the supervisor itself failed: leave no worker behind
            if worker.poll() is None:
                worker.kill()
                worker.wait()


async def run_until_stopped(
    runtime: Runtime, *, host: str, port: int, index: int = 0, supervisor: int | None = None
) -> None:
    """Serve until SIGTERM or SIGINT (a worker also once its supervisor is gone), then stop cleanly.

    Stopping cancels the server, whose clean-up lets requests in flight finish (aiohttp
    gives them up to 60 s) and stops the scheduler, and the process exits 0. A worker
    (`supervisor` given) shares the port with the others, and only worker 0 holds
    Slack's Socket Mode connection.
    """
    from adapters.main import serve

    loop = asyncio.get_running_loop()
    server = asyncio.ensure_future(
        serve(runtime, host=host, port=port, reuse_port=supervisor is not None, slack_socket_mode=index == 0)
    )
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError):  # no such handlers on Windows: Ctrl-C still stops
            loop.add_signal_handler(sig, server.cancel)
    while not server.done():
        await asyncio.wait({server}, timeout=PARENT_CHECK_SECONDS)
        if supervisor is not None and not server.done() and os.getppid() != supervisor:
            log.error("Mend worker %d: its supervisor (pid %d) is gone; stopping", index, supervisor)
            server.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await server
    log.warning("Mend stopped")
