"""`mend serve --workers N` as an operator runs it: real processes on a real port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, SKIP_POSTGRES, PostgresDatabases
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=SKIP_POSTGRES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _listening_inodes(port: int) -> set[str]:
    """Return the inodes of the sockets listening on `port`, from the kernel's TCP tables."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _gone(pid: int, *, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _serve_workers(database_url: str, port: int, count: int, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "MEND_"))}
    env.update(MEND_DATABASE_URL=database_url, MEND_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(count)]
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", *command],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while _health(port) != 200:
        if process.poll() is not None:
            raise AssertionError(f"mend serve stopped: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError("mend serve never answered /healthz")
        time.sleep(0.1)


@pytest.fixture
def postgres_url(postgres: PostgresDatabases, postgres_template: str) -> str:
    """A migrated PostgreSQL database of this test's own."""
    return postgres.create(template=postgres_template)


def test_workers_on_sqlite_are_refused_and_nothing_is_served(tmp_path: Path) -> None:
    port = _free_port()
    result = run(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mend serve --workers 2: SQLite is served from one process;"
        " for more workers use PostgreSQL (set MEND_DATABASE_URL)."
    )
    assert not _answers(port)
    assert not (tmp_path / "mend.db").exists()


def test_fewer_than_one_worker_is_refused(tmp_path: Path) -> None:
    result = run(["serve", "--port", str(_free_port()), "--workers", "0"], tmp_path)
    assert result.returncode == 2
    assert "--workers" in result.stderr


@needs_postgres
def test_two_workers_share_the_port_and_stop_cleanly_on_sigterm(postgres_url: str, tmp_path: Path) -> None:
    port = _free_port()
    supervisor = _serve_workers(postgres_url, port, 2, tmp_path)
    try:
        _wait_healthy(supervisor, port)
        # /healthz answers once the first worker is up; the second may still be starting
        deadline = time.monotonic() + 60
        while len(_listening_inodes(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [_health(port) for _ in range(50)] == [200] * 50
        workers = _children(supervisor.pid)
        assert len(workers) == 2
        for worker in workers:
            assert b"serve" in Path(f"/proc/{worker}/cmdline").read_bytes()
            # each worker listens on the port itself (SO_REUSEPORT), not through the supervisor
            assert _socket_inodes(worker) & _listening_inodes(port)
        assert not _socket_inodes(supervisor.pid) & _listening_inodes(port)

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=90) == 0, supervisor.stderr.read() if supervisor.stderr else ""
        assert all(_gone(worker) for worker in workers)
        assert not _answers(port)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


@needs_postgres
def test_a_worker_that_dies_stops_the_others_and_the_supervisor_fails(
    postgres_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    supervisor = _serve_workers(postgres_url, port, 2, tmp_path)
    try:
        _wait_healthy(supervisor, port)
        first, second = _children(supervisor.pid)
        os.kill(first, signal.SIGKILL)
        assert supervisor.wait(timeout=90) == 1
        assert _gone(second)
        assert supervisor.stderr is not None
        assert "stopped unexpectedly" in supervisor.stderr.read()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
