"""Whether a request can only read: then it needs no database transaction of its own.

A query's statements each see their own snapshot under READ COMMITTED anyway, so running them
in autocommit mode changes nothing they see, and saves the BEGIN and COMMIT round trips of every
read request. Anything that might write (a mutation anywhere in the document, a batch, a body
that does not parse) keeps the transaction.
"""

from __future__ import annotations

from functools import lru_cache

import orjson
from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse

MAX_TOKENS = 5000  # the most tokens a document may have (the schema's MaxTokensLimiter uses it too)


def is_read_only(body: bytes) -> bool:
    """True when the body is a single GraphQL request whose document has no mutation."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    query = payload.get("query") if isinstance(payload, dict) else None
    return isinstance(query, str) and _only_queries(query)


@lru_cache(maxsize=1024)
def _only_queries(document: str) -> bool:
    try:
        parsed = parse(document, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(o.operation is OperationType.QUERY for o in operations)
