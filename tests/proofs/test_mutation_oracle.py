"""Who may call each mutation, written out from domain.md's roles table and checked by calling every mutation.

The expectations below are NOT read from ``api/auth/permissions.py``: a mutation given to one role too many
(or too few) there fails here. Every role calls every mutation as a member of an organization of a kind where
that role fits, and as a partner app of that organization whose ceiling is that role (scopes read+write). A
permitted caller gets past the permission check (a user error is fine); a refused one gets FORBIDDEN or does
not have the mutation in its schema, and nothing changes in the database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import writable
from api.auth.clients import create_client
from api.auth.permissions import MUTATIONS
from api.models import Base, Organization
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.graphql import gql
from tests.workflow import document

R = Role
# domain.md, "Roles": who may do what. One line per mutation; the comment quotes the role's "may do" column.
MAY_CALL: dict[str, frozenset[Role]] = {
    # org_admin: "manage members, tokens, partner apps of its org"
    # a person's own: "a member mints them for themselves only", after a recent sign-in (the service checks)
    "personalAccessTokenCreate": frozenset(Role),
    "personalAccessTokenRevoke": frozenset({R.ORG_ADMIN}),
    "partnerAppCreate": frozenset({R.ORG_ADMIN}),
    "partnerAppDisable": frozenset({R.ORG_ADMIN}),
    "partnerAppDocumentsAdd": frozenset({R.ORG_ADMIN}),  # what an app may send: decided by a person
    "partnerAppDocumentsRemove": frozenset({R.ORG_ADMIN}),
    "partnerAppTrustedDocumentsOnlySet": frozenset({R.ORG_ADMIN}),
    # ... and their webhook endpoints (a partner app holding the `webhooks` scope: its own, tests/webhooks)
    "webhookEndpointCreate": frozenset({R.ORG_ADMIN}),
    "webhookEndpointUpdate": frozenset({R.ORG_ADMIN}),
    "webhookEndpointDelete": frozenset({R.ORG_ADMIN}),
    "webhookEndpointRotateSecret": frozenset({R.ORG_ADMIN}),
    "webhookDeliveryReplay": frozenset({R.ORG_ADMIN}),
    "memberCreate": frozenset({R.ORG_ADMIN}),
    "memberUpdate": frozenset({R.ORG_ADMIN}),
    "memberDeactivate": frozenset({R.ORG_ADMIN}),
    "memberReactivate": frozenset({R.ORG_ADMIN}),
    "memberSessionsEnd": frozenset({R.ORG_ADMIN}),  # "an org admin ends all of a member's sessions at once"
    # anyone: "see and end their sessions"
    "mySessionEnd": frozenset(Role),
    "mySessionsEnd": frozenset(Role),
    "memberInvite": frozenset({R.ORG_ADMIN}),
    "trainingRecord": frozenset({R.ORG_ADMIN}),
    # every person: "a consent to an app is remembered until revoked" (their own choice, whatever their roles)
    "appConsentRevoke": frozenset(Role),
    # a burn: "two people who held the role" (two org admins of the host organization)
    "sanctuaryCaseBurn": frozenset({R.ORG_ADMIN}),
    # network_coordinator: "manage organizations and regions"; an org admin keeps its own organization's profile
    "regionCreate": frozenset({R.NETWORK_COORDINATOR}),
    "regionUpdate": frozenset({R.NETWORK_COORDINATOR}),
    "organizationCreate": frozenset({R.NETWORK_COORDINATOR}),
    "organizationUpdate": frozenset({R.NETWORK_COORDINATOR, R.ORG_ADMIN}),
    "congregationUpdate": frozenset({R.NETWORK_COORDINATOR, R.ORG_ADMIN}),
    # a person is registered by those who bring them in: a sanctuary case or a legal aid request
    "personCreate": frozenset({R.SANCTUARY_COORDINATOR, R.LEGAL_ADVOCATE}),
    # sanctuary_coordinator: "run the sanctuary case lifecycle, schedule shifts"
    "sanctuaryCaseOpen": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseTransition": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseUpdate": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseSupporterAdd": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseSupporterRemove": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseConsentRecord": frozenset({R.SANCTUARY_COORDINATOR}),
    "sanctuaryCaseConsentWithdraw": frozenset({R.SANCTUARY_COORDINATOR}),
    "hospitalityShiftCreate": frozenset({R.SANCTUARY_COORDINATOR}),
    "hospitalityShiftMiss": frozenset({R.SANCTUARY_COORDINATOR}),
    # hospitality_volunteer: "sign up for and complete shifts" (the host's coordinator settles them too)
    "hospitalityShiftSignUp": frozenset({R.HOSPITALITY_VOLUNTEER}),
    "hospitalityShiftWithdraw": frozenset({R.HOSPITALITY_VOLUNTEER}),
    "hospitalityShiftComplete": frozenset({R.HOSPITALITY_VOLUNTEER, R.SANCTUARY_COORDINATOR}),
    # legal_advocate: "submit requests"; accompaniment_coordinator: "triage, match, cancel" (and a coordinator
    # submits for a person of its own organization: requests come "usually", not only, from legal aid)
    "accompanimentRequestSubmit": frozenset({R.LEGAL_ADVOCATE, R.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentRequestTriage": frozenset({R.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentRequestOffer": frozenset({R.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentRequestConfirm": frozenset({R.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentRequestCancel": frozenset({R.ACCOMPANIMENT_COORDINATOR, R.LEGAL_ADVOCATE}),
    # accompanier: "accept, decline, complete" (the coordinator who matched records the outcome too)
    "accompanimentRequestComplete": frozenset({R.ACCOMPANIER, R.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentAssignmentAccept": frozenset({R.ACCOMPANIER}),
    "accompanimentAssignmentDecline": frozenset({R.ACCOMPANIER}),
    # rr_dispatcher: "intake, verify, dispatch, broadcast, close"
    "incidentReport": frozenset({R.RR_DISPATCHER}),
    "incidentVerificationStart": frozenset({R.RR_DISPATCHER}),
    "incidentVerificationRecord": frozenset({R.RR_DISPATCHER}),
    "incidentDispatch": frozenset({R.RR_DISPATCHER}),
    "incidentBroadcast": frozenset({R.RR_DISPATCHER}),
    "incidentBroadcastRetract": frozenset({R.RR_DISPATCHER}),
    "incidentTransition": frozenset({R.RR_DISPATCHER}),
    # rr_responder: "arrive, report, release" (a dispatcher does it for the responders of its region)
    "incidentDispatchArrive": frozenset({R.RR_RESPONDER, R.RR_DISPATCHER}),
    "incidentDispatchRelease": frozenset({R.RR_RESPONDER, R.RR_DISPATCHER}),
    "incidentTimelineAdd": frozenset({R.RR_RESPONDER, R.RR_DISPATCHER}),
    # organizer: "plan and announce actions"
    "advocacyActionPlan": frozenset({R.ORGANIZER}),
    "advocacyActionUpdate": frozenset({R.ORGANIZER}),
    "advocacyActionTransition": frozenset({R.ORGANIZER}),
    "advocacyActionLinkCase": frozenset({R.ORGANIZER}),
    "advocacyActionUnlinkCase": frozenset({R.ORGANIZER}),
}
# What a person does (a sign-up, an answer to an invitation, one of the two admins of a burn): never an app.
PEOPLE_ONLY = frozenset(
    {
        "hospitalityShiftSignUp",
        "hospitalityShiftWithdraw",
        "accompanimentAssignmentAccept",
        "accompanimentAssignmentDecline",
        "sanctuaryCaseBurn",
        "personalAccessTokenCreate",  # a person's own credential: nobody, no app, mints one for another
        "memberInvite",  # a sign-in link: an app holding one could enroll its own passkey as the person
        "appConsentRevoke",  # a person's own consent: an app acting for its organization holds none
        "mySessionEnd",  # one's own sessions: an app acting for its organization has none
        "mySessionsEnd",
        "partnerAppDocumentsAdd",  # an app registering its own documents would widen what it may send
        "partnerAppDocumentsRemove",
        "partnerAppTrustedDocumentsOnlySet",
    }
)
# A kind of organization where each role fits (domain.md: dispatchers on rapid-response teams, sanctuary
# roles in congregations, legal advocates in legal aid, network coordinators in the hub).
HOME_KIND = {
    R.NETWORK_COORDINATOR: OrganizationKind.NETWORK_HUB,
    R.ORG_ADMIN: OrganizationKind.COMMUNITY_GROUP,
    R.SANCTUARY_COORDINATOR: OrganizationKind.CONGREGATION,
    R.HOSPITALITY_VOLUNTEER: OrganizationKind.CONGREGATION,
    R.ACCOMPANIMENT_COORDINATOR: OrganizationKind.LEGAL_AID,
    R.ACCOMPANIER: OrganizationKind.COMMUNITY_GROUP,
    R.LEGAL_ADVOCATE: OrganizationKind.LEGAL_AID,
    R.RR_DISPATCHER: OrganizationKind.RAPID_RESPONSE,
    R.RR_RESPONDER: OrganizationKind.RAPID_RESPONSE,
    R.ORGANIZER: OrganizationKind.COMMUNITY_GROUP,
    R.AUDITOR: OrganizationKind.NETWORK_HUB,
}


def _id(type_name: str) -> str:
    return encode_global_id(type_name, uuid.uuid4())


def _inputs(org: Organization) -> dict[str, dict[str, Any]]:
    """A well-formed input for every mutation: creations are real (a refused one must create nothing),
    the rest name records that do not exist (a permitted caller gets a user error)."""
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=3, hours=4)).isoformat()
    region = encode_global_id("Region", org.region_id)
    tag = uuid.uuid4().hex[:8]
    return {
        "personalAccessTokenCreate": {"memberId": _id("Member"), "name": "x", "expiresInDays": 1},
        "personalAccessTokenRevoke": {"id": _id("PersonalAccessToken")},
        "partnerAppCreate": {"name": f"App {tag}", "scopes": ["read"], "maxRoles": ["ORGANIZER"]},
        "partnerAppDisable": {"id": _id("PartnerApp")},
        "partnerAppDocumentsAdd": {"app": _id("PartnerApp"), "manifest": {}},
        "partnerAppDocumentsRemove": {"app": _id("PartnerApp"), "documentIds": []},
        "partnerAppTrustedDocumentsOnlySet": {"app": _id("PartnerApp"), "trustedDocumentsOnly": True},
        "webhookEndpointCreate": {
            "appId": _id("PartnerApp"), "url": "https://example.org/hook", "eventKinds": ["INCIDENT_REPORTED"],
            "document": "subscription { node { id } }",
        },
        "webhookEndpointUpdate": {"id": _id("WebhookEndpoint"), "enabled": False},
        "webhookEndpointDelete": {"id": _id("WebhookEndpoint")},
        "webhookEndpointRotateSecret": {"id": _id("WebhookEndpoint")},
        "webhookDeliveryReplay": {"id": _id("WebhookDelivery")},
        "regionCreate": {"name": f"Region {tag}", "code": f"r-{tag}"},
        "regionUpdate": {"id": _id("Region"), "name": f"Region {tag}"},
        "organizationCreate": {"name": f"Org {tag}", "kind": "COMMUNITY_GROUP", "regionId": region},
        "organizationUpdate": {"id": _id("Organization"), "name": "Renamed"},
        "congregationUpdate": {"id": _id("Congregation")},
        "memberCreate": {"email": f"new-{tag}@example.test", "alias": f"Alias {tag}", "roles": ["ORGANIZER"]},
        "memberUpdate": {"id": _id("Member")},
        "memberDeactivate": {"id": _id("Member")},
        "memberReactivate": {"id": _id("Member")},
        "memberSessionsEnd": {"memberId": _id("Member")},
        "mySessionEnd": {"id": _id("AppSession")},
        "mySessionsEnd": {"exceptCurrent": True},
        "memberInvite": {"memberId": _id("Member")},
        "appConsentRevoke": {"id": _id("AppConsent")},
        "trainingRecord": {"memberId": _id("Member"), "kind": "ACCOMPANIMENT", "completedAt": soon},
        "advocacyActionPlan": {
            "title": "Vigil", "kind": "VIGIL", "level": "LOCAL", "startsAt": soon, "visibility": "NETWORK"
        },
        "advocacyActionUpdate": {"id": _id("AdvocacyAction")},
        "advocacyActionTransition": {"id": _id("AdvocacyAction"), "step": "ANNOUNCE"},
        "advocacyActionLinkCase": {"id": _id("AdvocacyAction"), "sanctuaryCaseId": _id("SanctuaryCase")},
        "advocacyActionUnlinkCase": {"id": _id("AdvocacyAction")},
        "personCreate": {"preferredName": "Ana"},
        "sanctuaryCaseOpen": {"personId": _id("Person"), "hostCongregationId": _id("Congregation")},
        "sanctuaryCaseTransition": {"id": _id("SanctuaryCase"), "action": "BEGIN_DISCERNMENT"},
        "sanctuaryCaseUpdate": {"id": _id("SanctuaryCase")},
        "sanctuaryCaseSupporterAdd": {
            "caseId": _id("SanctuaryCase"), "congregationId": _id("Congregation"), "roles": ["HOSPITALITY"]
        },
        "sanctuaryCaseSupporterRemove": {"caseId": _id("SanctuaryCase"), "congregationId": _id("Congregation")},
        "sanctuaryCaseConsentRecord": {"caseId": _id("SanctuaryCase")},
        "sanctuaryCaseConsentWithdraw": {"caseId": _id("SanctuaryCase")},
        "sanctuaryCaseBurn": {"id": _id("SanctuaryCase")},
        "hospitalityShiftCreate": {
            "caseId": _id("SanctuaryCase"), "startsAt": soon, "endsAt": later, "neededVolunteers": 2
        },
        "hospitalityShiftSignUp": {"id": _id("HospitalityShift")},
        "hospitalityShiftWithdraw": {"id": _id("HospitalityShift")},
        "hospitalityShiftComplete": {"id": _id("HospitalityShift")},
        "hospitalityShiftMiss": {"id": _id("HospitalityShift")},
        "accompanimentRequestSubmit": {
            "personId": _id("Person"), "kind": "COURT_HEARING", "appointmentAt": soon, "urgency": "ROUTINE"
        },
        "accompanimentRequestTriage": {"id": _id("AccompanimentRequest")},
        "accompanimentRequestOffer": {
            "id": _id("AccompanimentRequest"), "volunteers": [{"memberId": _id("Member"), "role": "DRIVER"}]
        },
        "accompanimentRequestConfirm": {"id": _id("AccompanimentRequest")},
        "accompanimentRequestComplete": {"id": _id("AccompanimentRequest"), "outcome": "ATTENDED"},
        "accompanimentRequestCancel": {"id": _id("AccompanimentRequest")},
        "accompanimentAssignmentAccept": {"id": _id("AccompanimentAssignment")},
        "accompanimentAssignmentDecline": {"id": _id("AccompanimentAssignment")},
        "incidentReport": {"kind": "WORKPLACE_RAID", "intakeChannel": "HOTLINE", "regionId": region},
        "incidentVerificationStart": {"id": _id("RapidResponseIncident")},
        "incidentVerificationRecord": {"id": _id("RapidResponseIncident"), "result": "CONFIRM"},
        "incidentDispatch": {"incidentId": _id("RapidResponseIncident"), "memberId": _id("Member"), "role": "VERIFIER"},
        "incidentDispatchArrive": {"id": _id("IncidentDispatch")},
        "incidentDispatchRelease": {"id": _id("IncidentDispatch")},
        "incidentBroadcast": {"id": _id("RapidResponseIncident")},
        "incidentBroadcastRetract": {"id": _id("RapidResponseIncident")},
        "incidentTransition": {"id": _id("RapidResponseIncident"), "action": "STABILIZE"},
        "incidentTimelineAdd": {"incidentId": _id("RapidResponseIncident"), "kind": "NOTE", "note": "seen"},
    }  # fmt: skip


async def _fingerprint(db: AsyncSession) -> dict[str, str]:
    """A digest of every table's rows but the audit log's (and when tokens were last used)."""
    tables = sorted(set(Base.metadata.tables) - {"audit_event", "rate_limit_bucket"})  # every request writes them
    row_text = "(to_jsonb(t) - 'last_used_at')::text"
    digests = ", ".join(
        f"(SELECT md5(coalesce(string_agg({row_text}, '|' ORDER BY {row_text}), '')) FROM {name} t) AS {name}"  # noqa: S608 (table names of the models)
        for name in tables
    )
    row = (await db.execute(text(f"SELECT {digests}"))).one()
    return dict(zip(tables, row, strict=True))


async def _app_token(client: httpx.AsyncClient, db: AsyncSession, org: Organization, role: Role) -> str:
    app, secret = await create_client(db, org, name=f"{role} app", scopes=["read", "write"], max_roles=[role.value])
    await db.commit()
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(app.client_id, secret)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _refused(body: dict[str, Any], name: str) -> bool:
    absent = {
        f"Cannot query field '{name}' on type 'Mutation'.",
        "The mutation operation is not supported by the schema.",
    }
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    messages = {error["message"] for error in body.get("errors", [])}
    return (body.get("data") or {}).get(name) is None and (codes == ["FORBIDDEN"] or bool(messages & absent))


def _got_past_the_check(body: dict[str, Any], name: str) -> bool:
    payload = (body.get("data") or {}).get(name)
    return "errors" not in body and isinstance(payload, dict) and isinstance(payload.get("userErrors"), list)


async def _call(client: httpx.AsyncClient, name: str, values: dict[str, Any], token: str) -> dict[str, Any]:
    return await gql(client, document(name, ""), {"input": values}, token=token)


def test_the_written_table_names_every_mutation_of_the_schema() -> None:
    assert set(MAY_CALL) == set(MUTATIONS)
    assert set(MAY_CALL) >= PEOPLE_ONLY


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_calls_every_mutation_as_a_member_and_as_a_partner_app(
    client: httpx.AsyncClient, db: AsyncSession, role: Role
) -> None:
    org = await factories.organization(db, HOME_KIND[role])
    if HOME_KIND[role] is OrganizationKind.CONGREGATION:
        await factories.congregation(db, org)
    member = await factories.token_for(db, await factories.member(db, org, role))
    app = await _app_token(client, db, org, role)
    inputs = _inputs(org)
    wrong: list[str] = []

    allowed: list[tuple[str, str, str]] = []
    before = await _fingerprint(db)
    for name in sorted(MAY_CALL):
        for kind, caller in (("member", member), ("app", app)):
            may = role in MAY_CALL[name] and not (kind == "app" and name in PEOPLE_ONLY)
            if may:
                allowed.append((name, kind, caller))
                continue
            body = await _call(client, name, inputs[name], caller)
            if not _refused(body, name):
                wrong.append(f"{kind} {role} was not refused {name}")
    changed = [table for table, digest in (await _fingerprint(db)).items() if before[table] != digest]
    assert changed == [], f"refused calls changed {changed}"

    for name, kind, caller in allowed:
        body = await _call(client, name, inputs[name], caller)
        if not _got_past_the_check(body, name):
            wrong.append(f"{kind} {role} was refused {name}: {[e.get('message') for e in body.get('errors', [])]}")
    assert wrong == []


class _Recording(dict[Any, Any]):
    """A table of rules that notes which of its keys were looked up (and found)."""

    def __init__(self, rules: dict[Any, Any], seen: set[Any]) -> None:
        super().__init__(rules)
        self.seen = seen

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            self.seen.add(key)
        return super().get(key, default)


@pytest.fixture
def consulted(monkeypatch: pytest.MonkeyPatch) -> set[Any]:
    """The write rules (keys of RULES and MUTATION_RULES) consulted from now on in this test."""
    seen: set[Any] = set()
    for name in ("RULES", "MUTATION_RULES"):
        monkeypatch.setattr(writable, name, _Recording(getattr(writable, name), seen))
    return seen


async def test_every_write_rule_is_consulted_by_a_mutation_its_role_may_call(
    client: httpx.AsyncClient, db: AsyncSession, consulted: set[Any]
) -> None:
    """A rule of api/auth/writable.py that no mutation consults is dead: it reads like a permission the role does
    not have, or one another query grants in its stead. Every role calls every mutation it may call (on rows that
    do not exist, as the oracle above, but at a congregation of its own where one is named first)."""
    for role in Role:
        org = await factories.organization(db, HOME_KIND[role])
        member = await factories.token_for(db, await factories.member(db, org, role))
        inputs = _inputs(org)
        if HOME_KIND[role] is OrganizationKind.CONGREGATION:
            own = encode_global_id("Congregation", (await factories.congregation(db, org)).id)
            inputs["sanctuaryCaseOpen"]["hostCongregationId"] = own
        for name in sorted(n for n, roles in MAY_CALL.items() if role in roles):
            await _call(client, name, inputs[name], member)
    rules = [*writable.RULES, *writable.MUTATION_RULES]
    dead = [rule for rule in rules if rule not in consulted]
    assert [" ".join(str(getattr(part, "__name__", part)) for part in rule) for rule in dead] == []
