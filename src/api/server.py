"""Running the HTTP API with uvicorn: in the foreground (``ledger serve``) or in a thread."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType, TracebackType

import uvicorn
from fastapi import FastAPI

from api.middleware import access_log

STARTUP_TIMEOUT_SECONDS = 30.0


class ServerError(Exception):
    """The server could not listen or start; the message says where and why."""


def check_address(host: str, port: int) -> None:
    """Fail early, in one line, when ``host:port`` cannot be listened on.

    Raises:
        ServerError: naming the address and the reason.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def log_requests_as_json_lines() -> None:
    """Send the access log (one JSON object per request) to stderr."""
    if any(getattr(handler, "_ledger_access", False) for handler in access_log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._ledger_access = True  # type: ignore[attr-defined]
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


class _StoppableServer(uvicorn.Server):
    """uvicorn's server, except that a stop asked for by a signal ends with exit status 0.

    uvicorn re-raises the signal after its graceful shutdown, so the process would end as
    killed by SIGTERM (or with a KeyboardInterrupt for SIGINT); a requested stop is not a
    failure of ``ledger serve``.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(signum: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True  # a second signal: stop without waiting
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve_forever(app: FastAPI, *, host: str, port: int) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down cleanly."""
    log_requests_as_json_lines()
    # The ledger writes its own access log; uvicorn's would say the same, less.
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="info")
    _StoppableServer(config).run()


class ServerThread:
    """The app served by uvicorn on a loopback port, in a background thread.

    Used as a context manager: entering starts the server and waits until it answers;
    leaving stops it. Port 0 picks a free port; ``url`` tells which.
    """

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, access_log=False, log_config=None, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="ledger-api", daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._server.should_exit = True
                raise ServerError("the API server did not start")
            time.sleep(0.01)
        sockets = self._server.servers[0].sockets
        self.port = int(sockets[0].getsockname()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
