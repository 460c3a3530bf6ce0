"""One GraphQL request, read and checked once: the body within its limit, decoded once, parsed once.

:func:`read_body` refuses a body over ``body_bytes`` (HTTP 413) from its ``Content-Length``, or while
it streams when it has none, before holding it whole. :func:`prepare` decodes the JSON, refuses a
document or variables over their limits and parses the document (tokens bounded) once; the view
decides from that parse whether the request only reads, and strawberry gets the same decoded body
(:meth:`decode_json`) and the same document (:class:`PreparedDocument`) instead of its own.
"""

from __future__ import annotations

import re
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

_DOCUMENT_ID = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
_CACHED_CHARS = 20_000
BY_GET = "sanctuary.graphql_get"  # the request came as a GET (api/schema/engine/view.py runs only queries)  # documents up to this size keep their parse (the common, repeated ones)


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


async def get_as_post(request: Request) -> Request:
    """A GET naming a trusted document (``?documentId=sha256:<hex>&variables=<JSON>``) as the JSON POST that
    strawberry reads, marked (scope ``BY_GET``) so that only a query runs."""
    params = request.query_params
    payload: dict[str, Any] = {"documentId": params["documentId"]}
    if "operationName" in params:
        payload["operationName"] = params["operationName"]
    for name in ("variables", "extensions"):
        if name in params:
            try:
                payload[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                raise HTTPException(400, f"The `{name}` parameter is not JSON.") from None
    body = orjson.dumps(payload)
    kept = [(k, v) for k, v in request.scope["headers"] if k not in (b"content-type", b"content-length")]
    headers = [*kept, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request.scope.setdefault("state", {})  # shared with the GET's scope: what the view notes there, its caller sees
    return Request({**request.scope, "method": "POST", "headers": headers, BY_GET: True}, replay)


@dataclass(frozen=True)
class Prepared:
    """The request's body, decoded once, and its document, parsed once (or the error that parse raised)."""

    body: bytes
    payload: Any
    document: DocumentNode | None = None
    error: GraphQLError | None = None
    document_id: str | None = None  # a trusted document asked for by its id (hex SHA-256): api/schema/engine/trusted.py
    apollo: bool = False  # asked for as Apollo does (``extensions.persistedQuery``)

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
    asked = asked_document(payload)
    if asked is not None:  # its text is looked up once the caller (its app) is known
        return _remember(Prepared(body, payload, document_id=asked[0], apollo=asked[1]))
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
    if directive_count(document) > limits.directives:
        raise RequestRefused("TOO_MANY_DIRECTIVES", f"The document uses more than {limits.directives} directives.")
    return _remember(Prepared(body, payload, document))


def document_key(value: object) -> str | None:
    """The hex SHA-256 of a document id (``sha256:<hex>`` or bare hex, any case); None when malformed."""
    if not isinstance(value, str) or len(value) > 71:
        return None
    found = _DOCUMENT_ID.fullmatch(value.lower())
    return found.group(1) if found else None


def asked_document(payload: dict[str, Any]) -> tuple[str, bool] | None:
    """The trusted document the request names (its key, and whether Apollo's way), or None for a ``query``."""
    extensions = payload.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if "documentId" in payload:
        if payload.get("query") is not None or persisted is not None:
            raise RequestRefused("DOCUMENT_ID_WITH_QUERY", "Send `documentId` or `query`, not both.")
        return _key(payload["documentId"]), False
    if persisted is None or payload.get("query") is not None:  # Apollo's retry with the text: an ad-hoc document
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise RequestRefused("PERSISTED_QUERY_NOT_SUPPORTED", "Only version 1 of `persistedQuery` is understood.")
    return _key(persisted.get("sha256Hash")), True


def _key(value: object) -> str:
    key = document_key(value)
    if key is None:
        raise RequestRefused(
            "INVALID_DOCUMENT_ID",
            "A document id is `sha256:` followed by the 64 hex digits of the SHA-256 of its text.",
        )
    return key


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


def remember(prepared: Prepared) -> Prepared:
    """Make ``prepared`` the request being served in this task (a trusted document, once looked up)."""
    return _remember(prepared)


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


def directive_count(document: DocumentNode) -> int:
    """The directive uses in ``document``."""
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
