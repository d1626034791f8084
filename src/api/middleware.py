"""The request boundary: request ids, the access log, body limits, and the last-resort 500.

A pure ASGI middleware: it reads the request body itself, so that a body over the size
limit or nested too deeply is refused before anything parses it, and hands the body on.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import api_problem_response, internal_error_response
from api.problems import ApiProblem, BodyTooLarge, JsonTooDeep

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_ESCAPED_CHARACTER = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING = frozenset(b"[{")
access_log = logging.getLogger("ledger.api")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether ``body`` nests JSON arrays and objects more than ``limit`` levels deep.

    Brackets inside strings do not count. The body need not be valid JSON: the check runs
    before parsing, so that a parser never meets a body deep enough to exhaust it.
    """
    brackets = _STRING.sub(b"", _ESCAPED_CHARACTER.sub(b"", body)).translate(None, _NOT_A_BRACKET)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    depth = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def request_id_of(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a new one."""
    given = _header(scope, b"x-request-id")
    if given is not None and _SANE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestBoundary:
    """Wraps the app: every response gets an ``X-Request-ID`` and an access-log line.

    Args:
        app: the ASGI app inside.
        max_body_bytes: bodies larger than this are answered 413 without being read on.
        max_json_depth: bodies nested deeper than this are answered 422.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = request_id_of(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        answer: dict[str, Any] = {"status": None, "bytes_in": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_id, answer)
        except Exception:
            access_log.exception("request %s failed", request_id)
            if answer["status"] is not None:
                raise
            await internal_error_response(scope)(scope, receive, send_with_id)
        finally:
            self._log(scope, answer, began)

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, answer: dict[str, Any]
    ) -> None:
        outcome = await self._read_body(scope, receive)
        if isinstance(outcome, ApiProblem):
            await api_problem_response(scope, outcome)(scope, receive, send)
            return
        answer["bytes_in"] = len(outcome)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": outcome, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | ApiProblem:
        limit = self.max_body_bytes
        too_large = BodyTooLarge(
            f"the request body is larger than {limit} bytes", max_body_bytes=limit
        )
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and json_depth_exceeds(body, self.max_json_depth):
            return JsonTooDeep(
                f"the request body nests arrays and objects more than "
                f"{self.max_json_depth} levels deep",
                max_json_depth=self.max_json_depth,
            )
        return body

    @staticmethod
    def _log(scope: Scope, answer: dict[str, Any], began: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        state = scope.get("state", {})
        client = scope.get("client")
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": state.get("request_id"),
            "method": scope.get("method"),
            "path": scope.get("path"),
            "query": bytes(scope.get("query_string", b"")).decode("latin-1") or None,
            "status": answer["status"],
            "duration_ms": round((time.perf_counter() - began) * 1000, 3),
            "bytes_in": answer["bytes_in"],
            "client": client[0] if client else None,
            "api_key_id": state.get("api_key_id"),
        }
        access_log.info(orjson.dumps(entry).decode())
