"""A partner app's trusted documents and its "trusted documents only" switch (org admins, in person)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.auth.roles import app_ceiling
from api.models import OAuthClient as AppRow
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.schema.engine.request_body import document_key
from api.schema.engine.trusted import MAX_DOCUMENTS, ceiling_schema, check_manifest
from api.schema.network.credentials import PartnerApp
from api.services.network import trusted_documents
from api.services.network.trusted_documents import NewDocument
from api.services.shared.errors import UserFacingError, UserFacingErrors

_APP_ID = "The app (its id)."
_APP = ("partner_app", PartnerApp, "The app's record.")
_NOT_FOUND = {"APP_NOT_FOUND": "No partner app of your organization has this id."}
_DOCUMENT_CODES = {
    "INVALID_MANIFEST": "The manifest is not an object of document ids to texts.",
    "TOO_MANY_DOCUMENTS": f"Over {MAX_DOCUMENTS} documents in one manifest, or over the app's total.",
    "INVALID_DOCUMENT_ID": "An id is not a SHA-256 (`sha256:<hex>` or 64 hex digits).",
    "HASH_MISMATCH": "An id is not the SHA-256 of its document's text (UTF-8).",
    "DOCUMENT_TOO_LARGE": "A document is longer than a request's document may be.",
    "INVALID_DOCUMENT": "A document does not parse, or is not valid against the schema of the app's role ceiling.",
    "OVER_LIMIT": "A document is deeper, or has more aliases, directives or tokens, than a request may have.",
    "COST_LIMIT_EXCEEDED": "An operation could return more objects than a request may (variables at their defaults).",
}


@strawberry.input(description="Documents a partner app of your organization will send by their id.")
class PartnerAppDocumentsAddInput:
    app: strawberry.ID = strawberry.field(description=_APP_ID)
    manifest: JSON = strawberry.field(
        description="`{id: text}` as GraphQL Code Generator's client preset (`persisted-documents.json`) or Relay "
        "(`persisted_queries.json`, SHA-256 ids) writes it: each id the SHA-256 of its text, as `sha256:<hex>` or "
        f"bare hex; at most {MAX_DOCUMENTS} per call. All are stored, or none (each refusal is a user error)."
    )


@strawberry.input(description="Documents to remove from a partner app of your organization.")
class PartnerAppDocumentsRemoveInput:
    app: strawberry.ID = strawberry.field(description=_APP_ID)
    document_ids: list[str] = strawberry.field(description=f"Their ids (at most {MAX_DOCUMENTS}).")


@strawberry.input(description="Whether a partner app of your organization may send only its trusted documents.")
class PartnerAppTrustedDocumentsOnlySetInput:
    app: strawberry.ID = strawberry.field(description=_APP_ID)
    trusted_documents_only: bool = strawberry.field(
        description="True: its tokens send only registered documents (by `documentId`); false: any document."
    )


@strawberry.type
class DocumentMutations:
    @mutation(
        "partnerAppDocumentsAdd",
        "Register the documents (operations) a partner app's frontend sends, checked against the app's role "
        "ceiling, the request limits and the cost limit. Only a person, not through an app.",
        returns=_APP,
        errors=codes(**_NOT_FOUND, **_DOCUMENT_CODES),
        extra={"document_ids": (list[str], "The ids of the documents registered, as requests send them.")},
    )
    async def partner_app_documents_add(
        self, info: Info, input: Annotated[PartnerAppDocumentsAddInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        app, kind = await trusted_documents.admin_app(
            context.session, context.viewer, parse_id(input.app, "PartnerApp")
        )
        schema = ceiling_schema(app_ceiling(app.max_roles, kind))
        checked, refused = check_manifest(schema, input.manifest, context.settings.graphql_limits)
        if refused:
            raise UserFacingErrors([UserFacingError(r.code, r.message, r.field) for r in refused])
        new = [NewDocument(c.key, c.text, c.operation_names) for c in checked]
        ids = await trusted_documents.add_documents(context.session, app, new, context.viewer.member_id)
        return Done(app, {"document_ids": ids}, [app.id])

    @mutation(
        "partnerAppDocumentsRemove",
        "Remove documents of a partner app; requests naming them fail from then on. Only a person, not through an app.",
        returns=_APP,
        errors=codes(**_NOT_FOUND, INVALID_DOCUMENT_ID=_DOCUMENT_CODES["INVALID_DOCUMENT_ID"]),
        extra={"removed": (int, "How many of them the app had.")},
    )
    async def partner_app_documents_remove(
        self, info: Info, input: Annotated[PartnerAppDocumentsRemoveInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        app, _kind = await trusted_documents.admin_app(
            context.session, context.viewer, parse_id(input.app, "PartnerApp")
        )
        keys = [document_key(value) for value in input.document_ids[: MAX_DOCUMENTS + 1]]
        if len(keys) > MAX_DOCUMENTS or None in keys:
            raise UserFacingError(
                "INVALID_DOCUMENT_ID", f"Up to {MAX_DOCUMENTS} ids, each `sha256:<hex>` or hex.", "documentIds"
            )
        removed = await trusted_documents.remove_documents(context.session, app, [k for k in keys if k])
        return Done(app, {"removed": removed}, [app.id])

    @mutation(
        "partnerAppTrustedDocumentsOnlySet",
        "Choose whether a partner app sends only its trusted documents (the default for new apps); it holds from "
        "its next request. Only a person, not through an app.",
        returns=_APP,
        errors=codes(**_NOT_FOUND),
    )
    async def partner_app_trusted_documents_only_set(
        self,
        info: Info,
        input: Annotated[PartnerAppTrustedDocumentsOnlySetInput, strawberry.argument(description="What.")],
    ) -> AppRow:
        context = info.context
        app, _kind = await trusted_documents.admin_app(
            context.session, context.viewer, parse_id(input.app, "PartnerApp")
        )
        return await trusted_documents.set_trusted_only(context.session, app, input.trusted_documents_only)
