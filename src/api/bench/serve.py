"""``ledger serve`` as a child process on a loopback port, for the load test and the
crash-safety tests: started, killed, restarted, its memory watched from outside."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx2

from ledger.store.database import Database

START_TIMEOUT_SECONDS = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def server_environment(database: Database, **extra: str) -> dict[str, str]:
    """The environment of a ``ledger serve`` process on ``database``'s schema."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    keep = ("LEDGER_POOL_SIZE", "LEDGER_STATEMENT_TIMEOUT_MS", "LEDGER_POOL_TIMEOUT_SECONDS")
    env.update({key: os.environ[key] for key in keep if key in os.environ})
    env.update({"LEDGER_DATABASE_URL": database.url, "LEDGER_DB_SCHEMA": database.schema})
    env.update(extra)
    return env


class ServeProcess:
    """``ledger serve`` as a child process on a loopback port: started, killed, restarted.

    Args:
        env: the process's environment (see ``server_environment``).
        port: the port to listen on; the same port is used again after a restart.
        log: where the server's output goes (its access log is one line per request).
    """

    def __init__(self, env: dict[str, str], *, port: int, log: Path | None = None) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        """How many times the server was started (restarts included)."""
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until ``/v1/health`` answers 200."""
        command = [sys.executable, "-m", "api", "serve", "--port", str(self.port)]
        self.starts += 1
        if self.log is not None and self._log_file is None:
            self._log_file = self.log.open("ab")
        output: Any = self._log_file or subprocess.DEVNULL
        self.process = subprocess.Popen(
            command, env=self.env, stdout=output, stderr=output, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with httpx2.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"ledger serve exited with {self.process.returncode}")
                try:
                    if client.get(self.url + "/v1/health").status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"ledger serve did not answer on {self.url}")

    @property
    def pid(self) -> int:
        """The server process's id."""
        assert self.process is not None, "the server is not started"
        return self.process.pid

    def kill(self) -> None:
        """``kill -9`` the server: no shutdown, no flushing, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server as an operator would (SIGTERM), killing it if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def rss_bytes(self) -> int:
        """The server's resident memory now, from ``/proc``."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024
