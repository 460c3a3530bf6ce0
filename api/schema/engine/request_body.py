"""One GraphQL request, read and checked once: the body within its limit, decoded once, parsed once.

:func:`read_body` refuses a body over ``body_bytes`` (HTTP 413) from its ``Content-Length``, or while
it streams when it has none, before holding it whole. :func:`prepare` decodes the JSON, refuses a
document or variables over their limits and parses the document (tokens bounded) once; the view
decides from that parse whether the request only reads, and strawberry gets the same decoded body
(:meth:`decode_json`) and the same document (:class:`PreparedDocument`) instead of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.language import Visitor, visit
from starlette.requests import Request
from starlette.types import Message
from strawberry.extensions import SchemaExtension

from api.schema.engine.limits import DEFAULT_LIMITS, Limits, variables_within

_CACHED_CHARS = 20_000  # documents up to this size keep their parse (the common, repeated ones)


class RequestRefused(Exception):
    """The request is over one of its limits; ``code`` and ``message`` say which (never what it held)."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


async def read_body(request: Request, limit: int) -> Request:
    """The request with its body read, at most ``limit`` bytes; RequestRefused (413) past it."""
    too_large = RequestRefused("PAYLOAD_TOO_LARGE", f"The request body exceeds {limit} bytes.", 413)
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:  # strawberry reads the body again from here, not from the client
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, replay)


@dataclass(frozen=True)
class Prepared:
    """The request's body, decoded once, and its document, parsed once (or the error that parse raised)."""

    body: bytes
    payload: Any
    document: DocumentNode | None = None
    error: GraphQLError | None = None

    @property
    def query(self) -> Any:
        """The ``query`` of a single request (None for a batch or a body without one)."""
        return self.payload.get("query") if isinstance(self.payload, dict) else None

    @property
    def read_only(self) -> bool:
        """True for a single request whose document parsed and holds only queries.

        Such a request needs no transaction of its own: under READ COMMITTED each statement sees its
        own snapshot anyway, so autocommit changes nothing it sees and saves BEGIN and COMMIT.
        """
        if self.document is None:
            return False
        operations = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        return bool(operations) and all(o.operation is OperationType.QUERY for o in operations)


_CURRENT: ContextVar[Prepared | None] = ContextVar("graphql_prepared", default=None)


def prepare(body: bytes, limits: Limits, *, json: bool = True) -> Prepared:
    """Decode and parse the request once, within ``limits``; RequestRefused when over one of them."""
    if not json:  # not a JSON body: strawberry refuses its content type
        return _remember(Prepared(body, None))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    if not isinstance(payload, dict):
        return _remember(Prepared(body, payload))  # a batch: strawberry refuses it
    _check_variables(payload.get("variables"), limits)
    query = payload.get("query")
    if not isinstance(query, str):
        return _remember(Prepared(body, payload))
    if len(query) > limits.document_chars:
        raise RequestRefused(
            "DOCUMENT_TOO_LARGE",
            f"The document exceeds {limits.document_chars} characters (comments and blanks count too).",
        )
    try:
        document = parse_document(query, limits.tokens)
    except GraphQLError as error:
        return _remember(Prepared(body, payload, error=error))
    if _directives(document) > limits.directives:
        raise RequestRefused("TOO_MANY_DIRECTIVES", f"The document uses more than {limits.directives} directives.")
    return _remember(Prepared(body, payload, document))


def current() -> Prepared | None:
    """The prepared request being served in this task, if any."""
    return _CURRENT.get()


def decoded(data: str | bytes) -> Any:
    """The prepared payload when ``data`` is the very body prepared; otherwise NotImplemented."""
    prepared = _CURRENT.get()
    return prepared.payload if prepared is not None and data is prepared.body else NotImplemented


def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """The parsed document; the parse of small documents is kept (a bounded cache)."""
    if len(query) <= _CACHED_CHARS:
        return _cached_parse(query, max_tokens)
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=256)
def _cached_parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


def _remember(prepared: Prepared) -> Prepared:
    _CURRENT.set(prepared)
    return prepared


def _check_variables(variables: Any, limits: Limits) -> None:
    if variables is None:
        return
    if len(orjson.dumps(variables)) > limits.variables_bytes:
        raise RequestRefused("VARIABLES_TOO_LARGE", f"The variables exceed {limits.variables_bytes} bytes.")
    if not variables_within(variables, limits):
        raise RequestRefused(
            "VARIABLES_TOO_LARGE",
            f"The variables hold more than {limits.variables_values} values or nest deeper than "
            f"{limits.variables_depth} levels.",
        )


class _DirectiveCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter_directive(self, *_: object) -> None:
        self.count += 1


def _directives(document: DocumentNode) -> int:
    counter = _DirectiveCounter()
    visit(document, counter)
    return counter.count


class PreparedDocument(SchemaExtension):
    """Hands strawberry the document the view parsed (or its parse error) instead of parsing it again."""

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        prepared = _CURRENT.get()
        if prepared is not None and execution.query is not None and execution.query is prepared.query:
            if prepared.error is not None:
                raise prepared.error
            execution.graphql_document = prepared.document
        elif execution.query is not None:  # the schema used outside the view (tests): same limits
            execution.graphql_document = parse_document(execution.query, DEFAULT_LIMITS.tokens)
        yield
