"""Every role x sensitive field x (own / tied / other organization's record), written out from the roles
table of the domain specification. V: visible with its value; W: null and listed in extensions.withheld
(the role may read it on records tied to it, not this one); A: the record is not readable (like a missing
id); X: the field or type is absent from the role's schema (a validation error like an unknown field).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models.base import Tier
from api.schema.engine.ids import encode_global_id
from api.schema.engine.registry import FLOORS
from api.schema.schema import schema
from tests.graphql import gql
from tests.proofs.delegated import delegated_token, observe_all, schema_of
from tests.proofs.world import World, build_world

SINGLE = [
    "anonymous", "network_coordinator@hub", "auditor@hub", "org_admin@hub", "org_admin@A", "sanctuary_coordinator@A",
    "hospitality_volunteer@A", "accompaniment_coordinator@A", "accompanier@A", "auditor@A", "sanctuary_coordinator@B",
    "hospitality_volunteer@B", "accompaniment_coordinator@B", "accompanier@B", "legal_advocate@L1", "org_admin@L1",
    "legal_advocate@L2", "rr_dispatcher@RR", "rr_responder@RR", "rr_responder2@RR", "org_admin@RR", "organizer@CG",
]  # fmt: skip
# Viewers holding several roles (members, and partner apps with several roles in their ceiling): their row is
# the union of the written-out rows of single-role viewers tied to the same records (V beats W beats A beats X),
# except where a record is one of those viewers' own (listed by hand). An auditor's row is X everywhere, whatever
# its organization (auditor@A stands for CG's auditor), but for its own tokens.
MULTI: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "accompanier+hospitality_volunteer@A": (("accompanier@A", "hospitality_volunteer@A"), {"PAT_A": "A"}),
    "auditor+organizer@CG": (("auditor@A", "organizer@CG"), {"PAT_AUD": "A"}),
    "rr_dispatcher+org_admin@RR": (("rr_dispatcher@RR", "org_admin@RR"), {}),
    "app:sanctuary_coordinator+hospitality_volunteer@A": (("sanctuary_coordinator@A", "hospitality_volunteer@A"), {}),
    "app:rr_dispatcher+rr_responder@RR": (("rr_dispatcher@RR", "rr_responder@RR"), {}),
}
VIEWERS = SINGLE + list(MULTI)
MEMBERS = [v for v in SINGLE if v != "anonymous"]
AUDITORS = {"auditor@hub", "auditor@A"}  # the audit log and no record content: X for every record type (its own
# tokens are no record content: a person's own credentials, which every person lists)
READERS = [m for m in MEMBERS if m not in AUDITORS]


def expect(v: str = "", w: str = "", a: str = "", default: str = "X") -> dict[str, str]:
    """Expectations for every single-role viewer from space-separated viewer lists per outcome."""
    table = dict.fromkeys(SINGLE, default)
    for outcome, viewers in (("V", v), ("W", w), ("A", a)):
        for viewer in viewers.split():
            assert viewer in table, viewer
            table[viewer] = outcome
    return table


def expected(record: str, expectations: dict[str, str], viewer: str) -> str:
    """A single-role viewer's written-out outcome; a multi-role viewer's: the union of its roles' outcomes."""
    if viewer in expectations:
        return expectations[viewer]
    singles, own_records = MULTI[viewer]
    if record in own_records:
        return own_records[record]
    return min((expectations[single] for single in singles), key="VWAX".index)


MEMBERS_ALL = " ".join(READERS)
NOT = "anonymous"
OTHER_ADMINS = "org_admin@hub org_admin@RR"  # org admins of organizations with no tie to the record

R1_ROWS = "legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A accompanier@A"
R1_OTHER = "org_admin@A accompaniment_coordinator@B accompanier@B legal_advocate@L2 " + OTHER_ADMINS
C1_ROWS = "sanctuary_coordinator@A org_admin@A hospitality_volunteer@A sanctuary_coordinator@B network_coordinator@hub"
RR_HOLDERS = "rr_dispatcher@RR rr_responder@RR"
RR_ROWS = RR_HOLDERS + " org_admin@RR"
SALUTE = ("intakeChannel", "size", "actions", "uniform", "observedAt", "equipment")

# (record, GraphQL type, fields sharing one rule) -> (expected value or "*", expectations per viewer)
MATRIX: dict[tuple[str, str, tuple[str, ...]], tuple[Any, dict[str, str]]] = {
    # accompaniment request R1: submitted by L1, routed to congregation A, A's accompanier accepted it
    ("R1", "AccompanimentRequest", ("kind", "urgency", "status", "languagesNeeded", "version", "createdAt",
                                    "updatedAt", "closedAt")): (
        "*", expect(v=R1_ROWS + " network_coordinator@hub", a=R1_OTHER)),
    ("R1", "AccompanimentRequest", ("place", "appointmentAt", "outcome")): (
        "*", expect(v=R1_ROWS, w="network_coordinator@hub", a=R1_OTHER)),
    ("R1", "AccompanimentRequest", ("notes",)): ("Note R1", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A",
        a="org_admin@A accompaniment_coordinator@B legal_advocate@L2 " + OTHER_ADMINS)),
    ("AA1", "AccompanimentAssignment", ("role", "status", "version")): ("*", expect(
        v=R1_ROWS + " network_coordinator@hub", a=" ".join(m for m in READERS if m not in R1_ROWS
                                                            and m != "network_coordinator@hub"))),
    # P1: registered by L1, the person of R1; H1 links P1 to a family member
    ("P1", "Person", ("preferredName", "languages", "version")): ("*", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A accompanier@A",
        a="network_coordinator@hub org_admin@A sanctuary_coordinator@A hospitality_volunteer@A "
          "sanctuary_coordinator@B hospitality_volunteer@B accompaniment_coordinator@B accompanier@B legal_advocate@L2 "
          + OTHER_ADMINS)),
    ("P1", "Person", ("countryOfOrigin",)): ("*", expect(
        v="legal_advocate@L1 org_admin@L1",
        a="network_coordinator@hub org_admin@A sanctuary_coordinator@A sanctuary_coordinator@B legal_advocate@L2 "
          + OTHER_ADMINS)),
    ("P1", "Person", ("legalName",)): ("Pilar Legal-One", expect(
        v="legal_advocate@L1 org_admin@L1",
        a="org_admin@A sanctuary_coordinator@A sanctuary_coordinator@B legal_advocate@L2 " + OTHER_ADMINS)),
    ("P1", "Person", ("aNumber",)): ("A-100-200-300", expect(
        v="legal_advocate@L1 org_admin@L1",
        a="org_admin@A sanctuary_coordinator@A sanctuary_coordinator@B legal_advocate@L2 " + OTHER_ADMINS)),
    ("H1", "HouseholdLink", ("relation",)): ("Younger brother", expect(
        v="legal_advocate@L1 org_admin@L1", a="org_admin@A legal_advocate@L2 " + OTHER_ADMINS)),
    # C1: hosted by A, supported by B; A's volunteer has a shift on it (organizers: no public-story consent)
    ("C1", "SanctuaryCase", ("version", "publicStoryConsent")): ("*", expect(
        v=C1_ROWS, a="org_admin@L1 hospitality_volunteer@B organizer@CG " + OTHER_ADMINS)),
    ("C1", "SanctuaryCase", ("status", "exitOutcome", "enteredAt", "exitedAt", "closedAt")): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A sanctuary_coordinator@B", w="network_coordinator@hub",
        a="org_admin@L1 " + OTHER_ADMINS)),
    ("C1", "SanctuaryCase", ("locationDetail", "legalStatusSummary")): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A", w="sanctuary_coordinator@B", a="org_admin@L1 " + OTHER_ADMINS)),
    ("C1", "SanctuaryCase", ("locationDetail",)): ("Parsonage, room 2", expect(
        v="sanctuary_coordinator@A org_admin@A", w="sanctuary_coordinator@B", a="org_admin@L1 " + OTHER_ADMINS)),
    ("CS1", "CaseSupporter", ("roles",)): ("*", expect(
        v=C1_ROWS, a="org_admin@L1 hospitality_volunteer@B organizer@CG " + OTHER_ADMINS)),
    # P2: the guest of C1, registered by A
    ("P2", "Person", ("preferredName",)): ("Tomas", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A",
        a="network_coordinator@hub accompaniment_coordinator@A accompanier@A sanctuary_coordinator@B "
          "hospitality_volunteer@B accompaniment_coordinator@B accompanier@B legal_advocate@L1 org_admin@L1 "
          "legal_advocate@L2 " + OTHER_ADMINS)),
    ("P2", "Person", ("legalName",)): ("Tomas Legal-Two", expect(
        v="sanctuary_coordinator@A org_admin@A",
        a="sanctuary_coordinator@B legal_advocate@L1 org_admin@L1 legal_advocate@L2 " + OTHER_ADMINS)),
    # S1: a shift of C1 with A's volunteer signed up (SA1)
    ("S1", "HospitalityShift", ("neededVolunteers", "status", "version")): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A network_coordinator@hub",
        a="sanctuary_coordinator@B hospitality_volunteer@B org_admin@L1 " + OTHER_ADMINS)),
    ("S1", "HospitalityShift", ("startsAt", "endsAt")): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A", w="network_coordinator@hub",
        a="sanctuary_coordinator@B hospitality_volunteer@B org_admin@L1 " + OTHER_ADMINS)),
    ("SA1", "ShiftAssignment", ("status",)): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A network_coordinator@hub",
        a=" ".join(m for m in READERS if m not in {"sanctuary_coordinator@A", "org_admin@A",
                                                  "hospitality_volunteer@A", "network_coordinator@hub"}))),
    ("AV1", "AdvocacyAction", ("version",)): ("*", expect(v=MEMBERS_ALL)),
    # incidents: I1 in the dispatchers' region with a responder dispatched (D1) and a timeline entry (T1)
    ("I1", "RapidResponseIncident", ("kind", "coarseArea", "coarseLatitude", "coarseLongitude", "broadcastAt")): (
        "*", expect(v=MEMBERS_ALL, a=NOT)),
    ("I1", "RapidResponseIncident", ("verification", "status", "reportedAt", "closedAt", "version", "routing")): (
        "*", expect(v=MEMBERS_ALL)),
    ("I1", "RapidResponseIncident", SALUTE): ("*", expect(
        v=RR_ROWS, w="rr_responder2@RR org_admin@A org_admin@L1 network_coordinator@hub org_admin@hub")),
    ("I1", "RapidResponseIncident", ("exactLocation",)): ("12 Canary Lane", expect(
        v=RR_ROWS, w="rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("I1", "RapidResponseIncident", ("reporterContact",)): ("caller 555-0123", expect(
        v="rr_dispatcher@RR org_admin@RR", w="org_admin@A org_admin@L1 org_admin@hub")),
    # I2: held by RR but in region Y, outside its dispatchers' regions: they cannot act on it, nor read its details
    ("I2", "RapidResponseIncident", SALUTE): ("*", expect(
        v="org_admin@RR", w="rr_dispatcher@RR rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 "
                            "network_coordinator@hub org_admin@hub")),
    ("I2", "RapidResponseIncident", ("exactLocation",)): ("9 Other Road", expect(
        v="org_admin@RR", w="rr_dispatcher@RR rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("I2", "RapidResponseIncident", ("reporterContact",)): ("caller 555-0456", expect(
        v="org_admin@RR", w="rr_dispatcher@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("I3", "RapidResponseIncident", ("coarseArea",)): ("Mill district, Alder County", expect(v=MEMBERS_ALL + " " + NOT)),
    ("I3", "RapidResponseIncident", ("exactLocation",)): ("1 Broadcast Way", expect(
        v="rr_dispatcher@RR org_admin@RR", w="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    # I4: in region Z, which has no team of its own; the hub designated RR for it, so RR's dispatchers act there
    ("I4", "RapidResponseIncident", ("exactLocation",)): ("4 Designated Road", expect(
        v="rr_dispatcher@RR org_admin@RR",
        w="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("I4", "RapidResponseIncident", ("reporterContact",)): ("caller 555-0789", expect(
        v="rr_dispatcher@RR org_admin@RR", w="org_admin@A org_admin@L1 org_admin@hub")),
    ("D1", "IncidentDispatch", ("role", "version")): ("*", expect(
        v=RR_ROWS, a=" ".join(m for m in READERS if m not in RR_ROWS))),
    ("D1", "IncidentDispatch", ("dispatchedAt", "arrivedAt", "releasedAt")): ("*", expect(
        v=RR_ROWS, a="rr_responder2@RR org_admin@A org_admin@L1 network_coordinator@hub org_admin@hub")),
    ("T1", "IncidentTimelineEvent", ("kind", "occurredAt")): ("*", expect(
        v=RR_ROWS, a="rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("T1", "IncidentTimelineEvent", ("note",)): ("Debrief: van 3", expect(
        v=RR_ROWS, a="rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    # D2/T2: RR's, on I2 (region Y): like I2's details, not for RR's dispatchers; only RR's admins (a colleague,
    # who is no viewer here, was sent)
    ("D2", "IncidentDispatch", ("role", "version")): ("*", expect(
        v="org_admin@RR", a=" ".join(m for m in READERS if m != "org_admin@RR"))),
    ("D2", "IncidentDispatch", ("dispatchedAt", "arrivedAt", "releasedAt")): ("*", expect(
        v="org_admin@RR", a="rr_dispatcher@RR rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 "
                            "network_coordinator@hub org_admin@hub")),
    ("T2", "IncidentTimelineEvent", ("kind", "occurredAt")): ("*", expect(
        v="org_admin@RR", a="rr_dispatcher@RR rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("T2", "IncidentTimelineEvent", ("note",)): ("Debrief: road 9", expect(
        v="org_admin@RR", a="rr_dispatcher@RR rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    # D4/T4: on I4 (region Z, designated to RR by the hub): RR's dispatchers dispatch there, so they read them
    ("D4", "IncidentDispatch", ("role", "version")): ("*", expect(
        v="rr_dispatcher@RR org_admin@RR",
        a=" ".join(m for m in READERS if m not in {"rr_dispatcher@RR", "org_admin@RR"}))),
    ("D4", "IncidentDispatch", ("dispatchedAt", "arrivedAt", "releasedAt")): ("*", expect(
        v="rr_dispatcher@RR org_admin@RR", a="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 "
                                             "network_coordinator@hub org_admin@hub")),
    ("T4", "IncidentTimelineEvent", ("kind", "occurredAt")): ("*", expect(
        v="rr_dispatcher@RR org_admin@RR", a="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    ("T4", "IncidentTimelineEvent", ("note",)): ("Debrief: road 4", expect(
        v="rr_dispatcher@RR org_admin@RR", a="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1 org_admin@hub")),
    # the network: regions, organizations, congregations, members, trainings
    ("region_Z", "Region", ("version",)): ("*", expect(v=MEMBERS_ALL)),
    ("org_L1", "Organization", ("name", "kind", "version")): ("*", expect(v=MEMBERS_ALL)),
    ("cong_A", "Congregation", ("publicName", "city", "commitment")): ("*", expect(v=MEMBERS_ALL + " " + NOT)),
    ("cong_A", "Congregation", ("capacity", "accessibilityNotes", "contactName", "contactPhone", "contactEmail",
                                "version")): (
        "*", expect(v=MEMBERS_ALL)),
    ("member_L1", "Member", ("alias", "languages", "active", "version")): ("*", expect(v=MEMBERS_ALL)),
    # members' contacts: their own organization's admins only (never the hub's network coordinator)
    ("member_L1", "Member", ("legalName",)): ("Legal legal_advocate@L1", expect(
        v="org_admin@L1", w="org_admin@A " + OTHER_ADMINS)),
    ("member_L1", "Member", ("email", "phone")): ("*", expect(v="org_admin@L1", w="org_admin@A " + OTHER_ADMINS)),
    ("member_A", "Member", ("phone",)): ("555-0199", expect(v="org_admin@A", w="org_admin@L1 " + OTHER_ADMINS)),
    ("member_hub", "Member", ("legalName",)): ("Legal auditor@hub", expect(
        v="org_admin@hub", w="org_admin@A org_admin@L1 org_admin@RR")),
    ("member_hub", "Member", ("email", "phone")): ("*", expect(
        v="org_admin@hub", w="org_admin@A org_admin@L1 org_admin@RR")),
    ("TR1", "Training", ("kind", "completedAt", "expiresAt")): ("*", expect(v=MEMBERS_ALL)),
    # credentials: a member's own token, its organization's admins; partner apps: their organization's admins
    ("PAT_A", "PersonalAccessToken", ("name", "createdAt", "expiresAt", "revokedAt", "lastUsedAt")): ("*", expect(
        v="org_admin@A accompanier@A", a=" ".join(m for m in MEMBERS if m not in {"org_admin@A", "accompanier@A"}))),
    # an auditor's own token: the auditor (its own credential, not record content) and its organization's admins
    ("PAT_AUD", "PersonalAccessToken", ("name", "createdAt", "expiresAt", "revokedAt", "lastUsedAt")): ("*", expect(
        v="org_admin@A auditor@A", a=" ".join(m for m in MEMBERS if m not in {"org_admin@A", "auditor@A"}))),
    ("APP_A", "PartnerApp", ("name", "clientId", "scopes", "maxRoles", "disabledAt", "redirectUris", "public",
                             "grants", "trustedDocumentsOnly")): ("*", expect(
        v="org_admin@A", a="org_admin@L1 " + OTHER_ADMINS)),
    # webhooks of partner apps: their organization's admins (and the app itself with the `webhooks` scope, tested
    # in tests/webhooks): never the secret, never a body
    ("EP_A", "WebhookEndpoint", ("url", "eventKinds", "document", "description", "createdAt", "secretRotatedAt",
     "previousSecretExpiresAt", "disabledAt", "disabledReason", "consecutiveFailures", "failingSince", "lastError",
     "version")): ("*", expect(v="org_admin@A", a="org_admin@L1 " + OTHER_ADMINS)),
    ("DL_A", "WebhookDelivery", ("eventKind", "status", "attempts", "nextAttemptAt", "lastAttemptAt",
     "lastResponseCode", "lastError", "deliveredAt", "createdAt")): ("*", expect(
        v="org_admin@A", a="org_admin@L1 " + OTHER_ADMINS)),
}  # fmt: skip


async def _token(client: httpx.AsyncClient, world: World, viewer: str) -> str | None:
    """The viewer's personal token, or a partner app's access token (client credentials), or None."""
    if viewer not in world.apps:
        return world.tokens.get(viewer)
    client_id, secret = world.apps[viewer]
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


QUERY = "query Cell($id: ID!) {{ node(id: $id) {{ ... on {type} {{ {field} }} }} }}"


async def _observe(client: httpx.AsyncClient, token: str | None, type_name: str, record: Any, field: str) -> Any:
    body = await gql(client, QUERY.format(type=type_name, field=field),
                     {"id": encode_global_id(type_name, record.id)}, token=token)  # fmt: skip
    if "errors" in body:
        messages = " ".join(e["message"] for e in body["errors"])
        assert "Cannot query field" in messages or "Unknown type" in messages, body
        assert "Did you mean" not in messages
        return "X", None
    node = body["data"]["node"]
    if node is None:
        return "A", None
    withheld = [w for w in body.get("extensions", {}).get("withheld", []) if w["path"] == ["node", field]]
    if node[field] is None:
        return ("W" if withheld else "NULL"), None
    return "V", node[field]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_role_field_matrix(
    app: object, client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str
) -> None:
    world = await build_world(db, sealer)
    token = await _token(client, world, viewer)
    mismatches = []
    observed: list[tuple[str, Any, str, tuple[str, Any]]] = []
    for (record, type_name, fields), (value, expectations) in MATRIX.items():
        outcome = expected(record, expectations, viewer)
        for field in fields:
            seen, got = await _observe(client, token, type_name, world.records[record], field)
            observed.append((type_name, world.records[record], field, (seen, got)))
            if value == "*" and outcome == "V" and seen == "NULL":
                continue  # allowed, and empty on this record
            if seen != outcome or (seen == "V" and value != "*" and got != value):
                mismatches.append(f"{record}.{field}: expected {outcome}, got {seen}")
    assert mismatches == []
    if viewer in world.members:  # the same cells through a partner frontend acting for this member
        assert token is not None
        delegated = await delegated_token(app, db, world.members[viewer])
        assert await schema_of(client, delegated) == await schema_of(client, token)  # the same X cells
        cells = [(type_name, record, field) for type_name, record, field, seen in observed if seen[0] != "X"]
        assert await observe_all(client, delegated, cells) == [seen for *_cell, seen in observed if seen[0] != "X"]


def test_every_sensitive_field_of_every_record_type_is_in_the_matrix() -> None:
    covered = {(type_name, field) for (_r, type_name, fields) in MATRIX for field in fields}
    missing = []
    for type_name in FLOORS:
        definition = schema.get_type_by_name(type_name)
        for field in getattr(definition, "fields", []):
            metadata = field.metadata or {}
            name = schema.config.name_converter.get_graphql_name(field)
            sensitive = metadata.get("tier", Tier.T0) >= Tier.T1 and type_name != "AuditEvent"  # tested below
            if sensitive and (type_name, name) not in covered:
                missing.append(f"{type_name}.{name}")
    assert missing == []


AUDIT = "{ auditEvents(first: 50) { nodes { fields } } }"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [("auditor@A", {"Test.A"}), ("auditor@hub", {"Test.A", "Test.L1", "Test.CG"}), ("org_admin@A", None),
     ("legal_advocate@L1", None), ("network_coordinator@hub", None), ("anonymous", None),
     ("auditor+organizer@CG", {"Test.CG"}), ("organizer@CG", None), ("rr_dispatcher+org_admin@RR", None)],
)  # fmt: skip
async def test_audit_log_is_for_auditors_of_the_organization_or_the_hub(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, expected: set[str] | None
) -> None:
    world = await build_world(db, sealer)
    body = await gql(client, AUDIT, token=world.tokens.get(viewer))
    if expected is None:
        assert [e["message"] for e in body["errors"]] == ["Cannot query field 'auditEvents' on type 'Query'."]
        return
    seen = {
        name for node in body["data"]["auditEvents"]["nodes"] for name in node["fields"] if name.startswith("Test.")
    }
    assert seen == expected


async def test_audit_log_pages_newest_first_without_gaps(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    for _ in range(3):  # three reads of critical fields by A's org admin: three more events for A
        await gql(client, QUERY.format(type="SanctuaryCase", field="locationDetail"),
                  {"id": encode_global_id("SanctuaryCase", world.records["C1"].id)}, token=world.tokens["org_admin@A"])  # fmt: skip
    page = "query($after: String) { auditEvents(first: 1, after: $after) { edges { cursor node { occurredAt } } pageInfo { hasNextPage } } }"
    seen, after = [], None
    while True:
        body = (await gql(client, page, {"after": after}, token=world.tokens["auditor@A"]))["data"]["auditEvents"]
        seen += [edge["node"]["occurredAt"] for edge in body["edges"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["edges"][-1]["cursor"]
    assert len(seen) >= 4
    assert seen == sorted(seen, reverse=True)
