"""Administration of the network's shape: regions, organizations and congregation profiles (hub coordinators).

Creating regions and organizations needs the hub's write rule (:mod:`api.auth.writable`): a network
coordinator outside the hub organization gets ``HUB_ONLY``. Updates load the row through the same
rule, so rows outside it are ``NOT_FOUND``. Unique values (a region's code) are checked first and
again by the database, so two concurrent creates end in one success and one user error.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.auth.writable import may_change
from api.models import Congregation, Organization, Region
from api.models.enums import Commitment, OrganizationKind
from api.services.network import contacts
from api.services.shared import checks
from api.services.shared.errors import UserFacingError
from api.services.shared.unique import insert_unique

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_CAPACITY = 100
HUB_ONLY = "Only network coordinators of the network hub may do this."


@dataclass(frozen=True)
class CongregationDetails:
    """The sanctuary profile of a congregation; None (in changes) leaves a field as it is, blank text clears it."""

    public_name: str | None = None
    faith_tradition: str | None = None
    city: str | None = None
    commitment: Commitment | None = None
    public_declaration: bool | None = None
    capacity: int | None = None
    accessibility_notes: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True)
class NewOrganization:
    """What a hub coordinator gives to add an organization."""

    name: str
    kind: OrganizationKind
    region_id: uuid.UUID
    congregation: CongregationDetails | None = None


async def create_region(session: AsyncSession, viewer: Viewer, name: str, code: str) -> Region:
    """A new region; its code is a unique lowercase slug (``CODE_TAKEN`` when used)."""
    await _require_hub(session, viewer, Region, "regionCreate")
    region = Region(id=uuid.uuid4(), name=checks.text(name, "name", max_length=120), code=region_code(code, "code"))
    taken = UserFacingError("CODE_TAKEN", "Another region already has this code.", "code")
    await insert_unique(session, region, {"uq_region_code": taken})  # the unique index decides, races included
    return region


@dataclass(frozen=True)
class RegionChange:
    """What a hub coordinator changes on a region; None leaves a field as it is."""

    name: str | None = None
    team: uuid.UUID | None = None  # the RAPID_RESPONSE organization responsible for the region
    clear_team: bool = False


async def update_region(
    session: AsyncSession, viewer: Viewer, region_id: uuid.UUID, change: RegionChange, expected_version: int | None
) -> Region:
    """Rename a region, or designate (or clear) the rapid-response organization responsible for it."""
    region = await checks.load_for_change(
        session, viewer, Region, "regionUpdate", region_id, expected_version=expected_version
    )
    if change.team is not None and change.clear_team:
        raise checks.invalid("clearRapidResponseOrganization", "Either designate an organization or clear it.")
    if change.name is not None:
        region.name = checks.text(change.name, "name", max_length=120)
    if change.team is not None:
        kind = await session.scalar(select(Organization.kind).where(Organization.id == change.team))
        if kind is not OrganizationKind.RAPID_RESPONSE:
            raise checks.invalid("rapidResponseOrganizationId", "Give the id of a RAPID_RESPONSE organization.")
        region.rapid_response_organization_id = change.team
    if change.clear_team:
        region.rapid_response_organization_id = None
    await session.flush()
    return region


async def create_organization(session: AsyncSession, viewer: Viewer, new: NewOrganization) -> Organization:
    """A new organization in a region; a CONGREGATION also gets its congregation profile."""
    await _require_hub(session, viewer, Organization, "organizationCreate")
    if new.kind is OrganizationKind.NETWORK_HUB:
        raise checks.invalid("kind", "The network has one hub, created when the network is set up.")
    if new.kind is OrganizationKind.CONGREGATION and new.congregation is None:
        raise UserFacingError(
            "CONGREGATION_DETAILS_REQUIRED", "A congregation needs its congregation details.", "congregation"
        )
    if new.kind is not OrganizationKind.CONGREGATION and new.congregation is not None:
        raise checks.invalid("congregation", "Only a CONGREGATION organization has congregation details.")
    organization = Organization(
        id=uuid.uuid4(),
        name=checks.text(new.name, "name", max_length=200),
        kind=new.kind,
        region_id=await _region(session, new.region_id),
    )
    session.add(organization)
    await session.flush()
    if new.congregation is not None:
        session.add(_new_congregation(organization.id, new.congregation))
        await session.flush()
    return organization


async def update_organization(
    session: AsyncSession,
    viewer: Viewer,
    organization_id: uuid.UUID,
    *,
    name: str | None,
    region_id: uuid.UUID | None,
    expected_version: int | None,
) -> Organization:
    """Rename an organization or move it to another region (its kind never changes)."""
    organization = await checks.load_for_change(
        session, viewer, Organization, "organizationUpdate", organization_id, expected_version=expected_version
    )
    if name is not None:
        organization.name = checks.text(name, "name", max_length=200)
    if region_id is not None:
        organization.region_id = await _region(session, region_id)
    await session.flush()
    return organization


async def update_congregation(
    session: AsyncSession,
    viewer: Viewer,
    congregation_id: uuid.UUID,
    changes: CongregationDetails,
    expected_version: int | None,
) -> Congregation:
    """Change a congregation's sanctuary profile."""
    congregation = await checks.load_for_change(
        session, viewer, Congregation, "congregationUpdate", congregation_id, expected_version=expected_version
    )
    for name, value in _profile(changes).items():
        setattr(congregation, name, value)
    await session.flush()
    return congregation


def region_code(value: str, field: str) -> str:
    """A region code: a lowercase slug such as ``alder-county`` (2-40 characters)."""
    code = value.strip()
    if not 2 <= len(code) <= 40 or not SLUG.fullmatch(code):
        raise checks.invalid(field, "Give 2 to 40 lowercase letters, digits and single dashes, e.g. `alder-county`.")
    return code


async def _require_hub(session: AsyncSession, viewer: Viewer, model: type[Region | Organization], name: str) -> None:
    """The write rule of ``name`` for rows of ``model`` holds for this viewer (hub coordinators: all of them)."""
    allowed = await session.scalar(select(may_change(viewer, model, name)))
    if not allowed:
        raise UserFacingError("HUB_ONLY", HUB_ONLY)


async def _region(session: AsyncSession, region_id: uuid.UUID) -> uuid.UUID:
    if await session.get(Region, region_id) is None:
        raise UserFacingError("REGION_NOT_FOUND", "No region has this id.", "regionId")
    return region_id


def _new_congregation(organization_id: uuid.UUID, details: CongregationDetails) -> Congregation:
    values = _profile(details, prefix="congregation.")
    for name in ("public_name", "faith_tradition", "city", "commitment"):
        if values.get(name) is None:
            raise checks.invalid(f"congregation.{_camel(name)}", "This congregation detail is required.")
    values.setdefault("public_declaration", False)
    return Congregation(id=uuid.uuid4(), organization_id=organization_id, **values)


def _profile(details: CongregationDetails, prefix: str = "") -> dict[str, object]:
    """The given profile fields, checked; blank optional text becomes None (cleared)."""
    values: dict[str, object] = {}
    for name, limit in (("public_name", 200), ("faith_tradition", 120), ("city", 120)):
        given = getattr(details, name)
        if given is not None:
            values[name] = checks.text(given, prefix + _camel(name), max_length=limit)
    for name, limit in (("accessibility_notes", 2000), ("contact_name", 200)):
        given = getattr(details, name)
        if given is not None:
            values[name] = checks.optional_text(given, prefix + _camel(name), max_length=limit)
    if details.contact_phone is not None:
        values["contact_phone"] = contacts.phone(details.contact_phone, prefix + "contactPhone")
    if details.contact_email is not None:
        email = details.contact_email.strip()
        values["contact_email"] = contacts.email(email, prefix + "contactEmail") if email else None
    if details.capacity is not None:
        if not 0 <= details.capacity <= MAX_CAPACITY:
            raise checks.invalid(prefix + "capacity", f"Give a capacity from 0 to {MAX_CAPACITY}.")
        values["capacity"] = details.capacity
    if details.commitment is not None:
        values["commitment"] = details.commitment
    if details.public_declaration is not None:
        values["public_declaration"] = details.public_declaration
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
