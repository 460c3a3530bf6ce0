"""The strawberry schema, its extensions, and safe error handling."""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Iterator
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from graphql.validation import ASTValidationRule
from strawberry.extensions import MaskErrors, SchemaExtension, ValidationCache
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types import ExecutionContext

import api.schema.enums  # noqa: F401 (registers the model enums with strawberry)
from api.db import is_unavailable
from api.schema.accompaniment.mutations import AccompanimentMutations
from api.schema.advocacy.mutations import AdvocacyMutations
from api.schema.engine.errors import MASKED_MESSAGE, ClientError
from api.schema.engine.execution import DirectExecutionContext
from api.schema.engine.limits import DEFAULT_LIMITS, Limits
from api.schema.engine.request_body import PreparedDocument
from api.schema.network.consents import ConsentMutations
from api.schema.network.credentials import CredentialMutations
from api.schema.network.mutations import AdminMutations
from api.schema.query import Query
from api.schema.rapid_response.mutations import RapidResponseMutations
from api.schema.sanctuary.burn_mutations import BurnMutations
from api.schema.sanctuary.hospitality_mutations import HospitalityMutations
from api.schema.sanctuary.mutations import SanctuaryMutations


@strawberry.type(description="Change the network's data. Each mutation says who may call it.")
class Mutation(
    CredentialMutations,
    AdminMutations,
    AdvocacyMutations,
    SanctuaryMutations,
    HospitalityMutations,
    AccompanimentMutations,
    RapidResponseMutations,
    BurnMutations,
    ConsentMutations,
):
    pass


logger = logging.getLogger("api.graphql")


class OperationInfo(SchemaExtension):
    """Put the operation name and the document's hash on the context (for the audit log)."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if execution.query is not None and hasattr(context, "document_hash"):
            context.document_hash = hashlib.sha256(execution.query.encode()).hexdigest()
            context.operation_name = execution.operation_name
        yield
        document = execution.graphql_document
        if document is None or not hasattr(context, "attempted_mutation"):
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = next((o for o in operations if o.name and o.name.value == execution.operation_name), None)
        chosen = chosen or (operations[0] if len(operations) == 1 else None)
        if chosen is not None:
            context.attempted_mutation = chosen.operation is OperationType.MUTATION
            context.operation_name = context.operation_name or (chosen.name.value if chosen.name else None)


class QueryLimits(SchemaExtension):
    """At most ``depth`` levels and ``aliases`` aliases per document (the request's settings' limits)."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        settings = getattr(execution.context, "settings", None)
        limits: Limits = getattr(settings, "graphql_limits", DEFAULT_LIMITS)
        execution.validation_rules = (*execution.validation_rules, *_limit_rules(limits.depth, limits.aliases))
        yield


@lru_cache(maxsize=8)
def _limit_rules(depth: int, aliases: int) -> tuple[type[ASTValidationRule], ...]:
    """Built once per pair: fresh rule classes per request would defeat the validation cache (its key)."""
    return (_depth_rule(depth), alias_validator(aliases))


def _depth_rule(depth: int) -> type[ASTValidationRule]:
    """strawberry's depth rule, except that a spread of an unknown fragment is left to KnownFragmentNames
    (strawberry's raises a KeyError that quotes the fragment's name)."""
    base: Any = depth_validator(depth, None)

    class DepthLimit(base):  # type: ignore[misc]
        def __init__(self, context: Any) -> None:
            try:
                super().__init__(context)
            except KeyError:
                ASTValidationRule.__init__(self, context)

    return DepthLimit


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions only; validation, limit and client errors keep their message."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | ClientError)


class SanctuarySchema(strawberry.Schema):
    """Logs unexpected errors without their message (it may hold values) and never the variables."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, GraphQLError):
                continue
            context: Any = getattr(execution_context, "context", None)
            if context is not None and hasattr(context, "unexpected_error"):
                context.unexpected_error = True  # the view rolls the request's writes back
                context.database_unavailable = context.database_unavailable or is_unavailable(original)
            frames = "".join(traceback.format_tb(original.__traceback__))
            logger.error("unexpected %s at %s\n%s", type(original).__name__, error.path, frames)


def build_schema() -> strawberry.Schema:
    """The public schema with parser/validation caches, size limits and error masking."""
    return SanctuarySchema(
        query=Query,
        mutation=Mutation,
        execution_context_class=DirectExecutionContext,
        extensions=[
            OperationInfo,
            PreparedDocument,
            QueryLimits,
            ValidationCache,
            partial(MaskErrors, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
        ],
    )


schema = build_schema()
