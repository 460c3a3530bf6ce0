"""People the network protects: registering a person, with the critical fields sealed before they are stored."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import Person
from api.models.base import storage_name
from api.services.shared import checks
from api.services.shared.errors import UserFacingError

_A_NUMBER = re.compile(r"A?(\d{8,9})")


@dataclass(frozen=True)
class NewPerson:
    """What a coordinator or legal advocate gives to register a person."""

    preferred_name: str
    legal_name: str | None = None
    a_number: str | None = None
    country_of_origin: str | None = None
    languages: tuple[str, ...] = ()


async def create(session: AsyncSession, viewer: Viewer, sealer: Sealer, new: NewPerson) -> Person:
    """A person of the viewer's organization; legal name and A-number sealed, the A-number blind-indexed."""
    assert viewer.organization_id is not None  # the permission table admits members and partner apps only
    org_id = viewer.organization_id
    person = Person(
        id=uuid.uuid4(),
        organization_id=org_id,
        preferred_name=checks.text(new.preferred_name, "preferredName", max_length=120),
        country_of_origin=checks.optional_text(new.country_of_origin, "countryOfOrigin", max_length=80),
        languages=checks.languages(new.languages),
    )
    legal_name = checks.optional_text(new.legal_name, "legalName", max_length=200)
    a_number = a_number_of(new.a_number)
    person.legal_name = await sealer.seal(session, org_id, person.id, storage_name(Person.legal_name), legal_name)
    person.a_number = await sealer.seal(session, org_id, person.id, storage_name(Person.a_number), a_number)
    person.a_number_index = None if a_number is None else await sealer.blind_index(session, a_number)
    if person.a_number_index is not None and await session.scalar(
        select(Person.id).where(Person.organization_id == org_id, Person.a_number_index == person.a_number_index)
    ):  # within the organization only: another's registrations are not for us to learn about
        raise UserFacingError(
            "DUPLICATE_A_NUMBER", "Your organization already registered a person with this A-number.", "aNumber"
        )
    session.add(person)
    await session.flush()
    return person


def a_number_of(value: str | None) -> str | None:
    """An A-number in one spelling (``A-012-345-678``): 8 or 9 digits, an optional A, dashes and spaces allowed."""
    if value is None or not value.strip():
        return None
    compact = "".join(value.split()).replace("-", "").upper()
    match = _A_NUMBER.fullmatch(compact)
    if match is None:
        raise checks.invalid("aNumber", "Give an A-number: 8 or 9 digits, optionally with an A prefix and dashes.")
    digits = match.group(1).zfill(9)
    return f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}"
