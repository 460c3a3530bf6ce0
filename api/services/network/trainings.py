"""When a training counts: completed, and not expired, at the moment it is needed (one rule for every use)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Training
from api.models.enums import TrainingKind


def valid_at(on: datetime) -> ColumnElement[bool]:
    """Trainings completed by ``on`` that have not expired by then."""
    return and_(Training.completed_at <= on, or_(Training.expires_at.is_(None), Training.expires_at > on))


def is_valid_at(training: Any, on: datetime) -> bool:
    """The same rule for a loaded training row."""
    return training.completed_at <= on and (training.expires_at is None or training.expires_at > on)


async def trained(
    session: AsyncSession, member_ids: Collection[uuid.UUID], kind: TrainingKind, on: datetime
) -> set[uuid.UUID]:
    """Those of ``member_ids`` holding a ``kind`` training valid at ``on``."""
    rows = await session.scalars(
        select(Training.member_id).where(Training.member_id.in_(member_ids), Training.kind == kind, valid_at(on))
    )
    return set(rows)
