"""Which documents a partner app's credentials may send: the rule behind trusted documents.

A credential issued to an app (``viewer.client_id``: its client credentials, and tokens it holds for a
person) finds only that app's registered documents; an app in "trusted documents only" mode sends
nothing else. People's own credentials have no documents and send any (api/schema/engine/trusted.py).
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import OAuthClient, TrustedDocument


async def sends_only_trusted(session: AsyncSession, client_id: str) -> bool:
    """True when the app ``client_id`` may send only its registered documents."""
    only = select(OAuthClient.trusted_documents_only).where(OAuthClient.client_id == client_id)
    return bool(await session.scalar(only))


async def registered(session: AsyncSession, client_id: str, key: str, *, text: bool) -> str | bool:
    """Whether the app ``client_id`` registered the document of hash ``key``: its text when ``text``
    (False when it did not), else True or False."""
    column = TrustedDocument.document if text else TrustedDocument.id
    on = and_(TrustedDocument.client_id == OAuthClient.id, TrustedDocument.document_hash == key)
    found = select(column).select_from(OAuthClient).join(TrustedDocument, on).where(OAuthClient.client_id == client_id)
    row = (await session.execute(found)).one_or_none()
    if row is None:
        return False
    return str(row[0]) if text else True
