"""Trusted documents: the operations a partner app registered, checked once and served by their id.

At registration (:func:`check_manifest`) each document's id must be the SHA-256 of its text, and the
text must parse and validate against the app's role-ceiling schema within the request limits and the
cost limit (variables at their defaults). A request then names one by ``documentId`` (the GraphQL over
HTTP persisted documents proposal) or Apollo's ``extensions.persistedQuery.sha256Hash``;
:func:`resolve` finds it among the caller's app's documents and hands it on as if its text had been
sent, parsed once per process (an LRU keyed by its hash). Its validation is kept per (hash, schema,
rules): a document valid for the ceiling is not validated again for that same schema, and is
validated once for any other audience (:class:`TrustedValidationCache`). Cost and variable limits
still apply to every request, with the variables it sends.

An app in "trusted documents only" mode (``oauth_client.trusted_documents_only``) sends nothing else:
any request of a credential issued to it (``viewer.client_id``) without a document id is refused,
introspection included.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse, specified_rules
from graphql.validation import ASTValidationRule
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import ValidationCache
from strawberry.schema.schema import validate_document

from api.auth.documents import registered, sends_only_trusted
from api.auth.viewer import Viewer
from api.models.enums import Role
from api.schema.engine.cost import requested_cost
from api.schema.engine.limits import Limits
from api.schema.engine.request_body import (
    RequestRefused,
    asked_document,
    current,
    directive_count,
    document_key,
    remember,
)

MAX_DOCUMENTS = 200  # documents in one manifest (one call)
_PARSED_SIZE, _VALIDATED_SIZE = 512, 4096  # parses (each at most `document_chars`), validations
STATS: Counter[str] = Counter()  # parses and validations of trusted documents (tests count them)
_PARSED: OrderedDict[str, tuple[str, DocumentNode]] = OrderedDict()
_VALIDATED: OrderedDict[Hashable, None] = OrderedDict()


class DocumentRefused(Exception):
    """A document of a manifest is refused; ``code`` says why (the message never quotes it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Checked:
    """A document that passed every check: its key (hex SHA-256), text and operation names."""

    key: str
    text: str
    operation_names: list[str]


@dataclass(frozen=True)
class Refusal:
    """Why one entry of a manifest was refused, and where (``manifest.<hex>`` or ``manifest.#<position>``)."""

    field: str
    code: str
    message: str


def rules_for(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of a request under ``limits``: exactly the tuple strawberry validates with."""
    from api.schema.schema import limit_rules  # the schema module imports this one

    return (*specified_rules, *limit_rules(limits))


def ceiling_schema(roles: frozenset[Role]) -> strawberry.Schema:
    """The schema of an app's role ceiling (the audience of a token holding every role of it)."""
    from api.schema.engine.audience import Audience, schema_for

    return schema_for(Audience(False, roles))


def check_manifest(schema: strawberry.Schema, manifest: Any, limits: Limits) -> tuple[list[Checked], list[Refusal]]:
    """Each entry of ``manifest`` (``{id: text}``) checked against ``schema``: those that pass, and why others did not."""
    if not isinstance(manifest, dict) or not manifest:
        return [], [Refusal("manifest", "INVALID_MANIFEST", "The manifest is an object of document ids to texts.")]
    if len(manifest) > MAX_DOCUMENTS:
        message = f"A manifest holds at most {MAX_DOCUMENTS} documents: send it in parts."
        return [], [Refusal("manifest", "TOO_MANY_DOCUMENTS", message)]
    checked, refused = [], []
    for position, (key, text) in enumerate(manifest.items()):
        try:
            checked.append(check(schema, key, text, limits))
        except DocumentRefused as error:
            hexadecimal = document_key(key)
            where = f"manifest.{hexadecimal}" if hexadecimal else f"manifest.#{position}"
            refused.append(Refusal(where, error.code, error.message))
    return checked, refused


def check(schema: strawberry.Schema, key: object, text: object, limits: Limits) -> Checked:
    """The document, checked as :func:`check_manifest` says; DocumentRefused otherwise."""
    hexadecimal = document_key(key)
    if hexadecimal is None:
        raise DocumentRefused(
            "INVALID_DOCUMENT_ID", "An id is the SHA-256 of the text: 64 hex digits, optionally after `sha256:`."
        )
    if not isinstance(text, str) or len(text) > limits.document_chars:
        raise DocumentRefused(
            "DOCUMENT_TOO_LARGE", f"A document is a text of at most {limits.document_chars} characters."
        )
    try:
        digest = hashlib.sha256(text.encode()).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: not a text PostgreSQL or a parser takes
        raise DocumentRefused("INVALID_DOCUMENT", "The document is not valid UTF-8 text.") from None
    if digest != hexadecimal:
        raise DocumentRefused("HASH_MISMATCH", "The id is not the SHA-256 of the document's text (UTF-8).")
    try:
        document = parse(text, max_tokens=limits.tokens)
    except GraphQLError:
        raise DocumentRefused(
            "INVALID_DOCUMENT", f"The document does not parse (or has over {limits.tokens} tokens)."
        ) from None
    graphql_schema = schema._schema
    if validate_document(graphql_schema, document, tuple(specified_rules)):
        raise DocumentRefused("INVALID_DOCUMENT", "The document is not valid against the schema of the app's roles.")
    rules = rules_for(limits)
    if validate_document(graphql_schema, document, rules) or directive_count(document) > limits.directives:
        raise DocumentRefused("OVER_LIMIT", "The document is deeper, or has more aliases or directives, than allowed.")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = [o.name.value for o in operations if o.name is not None]
    for operation in operations:
        cost = requested_cost(graphql_schema, document, operation.name.value if operation.name else None, None)
        if cost > limits.cost:
            raise DocumentRefused(
                "COST_LIMIT_EXCEEDED", f"An operation could return {cost} objects, over the limit of {limits.cost}."
            )
    _cache(_PARSED, hexadecimal, (text, document), _PARSED_SIZE)
    _cache(_VALIDATED, (hexadecimal, graphql_schema, rules), None, _VALIDATED_SIZE)
    return Checked(hexadecimal, text, names)


async def resolve(session: AsyncSession, viewer: Viewer) -> bool:
    """Serve the request's trusted document, if it names one (True); RequestRefused when it names an unknown
    one, or when the caller's app sends only trusted documents and the request names none."""
    prepared = current()
    asked = (prepared.document_id, prepared.apollo) if prepared is not None and prepared.document_id else None
    found = await _registered_document(session, viewer, asked)
    if found is None:
        return False
    assert prepared is not None
    text, document = found
    remember(replace(prepared, payload={**prepared.payload, "query": text}, document=document))
    return True


async def live_payload(session: AsyncSession, viewer: Viewer, payload: dict[str, Any]) -> dict[str, Any]:
    """A subscription's payload (over WebSocket) under the same rule as a request: a registered document's text
    put in place of its id, or RequestRefused (unknown id; an ad-hoc document from an app sending only trusted ones)."""
    found = await _registered_document(session, viewer, asked_document(payload))
    if found is None:
        return payload
    rest = {key: value for key, value in payload.items() if key not in ("documentId", "extensions")}
    return {**rest, "query": found[0]}


async def _registered_document(
    session: AsyncSession, viewer: Viewer, asked: tuple[str, bool] | None
) -> tuple[str, DocumentNode] | None:
    """The one rule of both paths: the registered document ``asked`` names (its key, and whether Apollo's way),
    parsed; None when no document is named and the caller may send ad-hoc ones; RequestRefused otherwise."""
    if viewer.client_id is None:
        if asked is not None:  # documents belong to apps: a person's own credential has none
            raise _refusal(apollo=asked[1])
        return None
    if asked is None:
        if await sends_only_trusted(session, viewer.client_id):
            raise RequestRefused(
                "TRUSTED_DOCUMENTS_ONLY",
                "This app sends only its registered documents: send `documentId` (`sha256:<hex>`), not `query`.",
            )
        return None
    key, apollo = asked
    cached = _PARSED.get(key)  # then only whether the app registered it: its text is read once per process
    found = await registered(session, viewer.client_id, key, text=cached is None)
    if found is False:
        raise _refusal(apollo=apollo)
    return cached if cached is not None else _parsed(key, str(found))


def _refusal(*, apollo: bool) -> RequestRefused:
    if apollo:  # the message and code Apollo's clients look for
        return RequestRefused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
    return RequestRefused("DOCUMENT_NOT_FOUND", "No registered document of this app has this id.")


def _parsed(key: str, text: str) -> tuple[str, DocumentNode]:
    STATS["parses"] += 1
    found = (text, parse(text))  # its size was checked at registration
    _cache(_PARSED, key, found, _PARSED_SIZE)
    return found


def _cache(cache: OrderedDict[Any, Any], key: Hashable, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)


def clear_caches() -> None:
    """Forget every parse and validation (tests)."""
    _PARSED.clear()
    _VALIDATED.clear()


class TrustedValidationCache(ValidationCache):
    """strawberry's validation cache, except that a trusted document already valid for this schema and these
    rules is not validated again (its parse is the process's own, looked up by its hash)."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        prepared = current()
        document = execution.graphql_document
        if prepared is None or prepared.document_id is None or document is None or document is not prepared.document:
            yield from super().on_validate()
            return
        graphql_schema = execution.schema._schema
        key = (prepared.document_id, graphql_schema, execution.validation_rules)
        if key in _VALIDATED:
            _VALIDATED.move_to_end(key)
            execution.pre_execution_errors = []
        else:
            STATS["validations"] += 1
            errors = validate_document(graphql_schema, document, execution.validation_rules)
            execution.pre_execution_errors = errors
            if not errors:
                _cache(_VALIDATED, key, None, _VALIDATED_SIZE)
        yield
