"""Which roles can ever read some row of each type: the static summary of ``api.auth.access``.

It decides what each audience's schema holds (``api.schema.engine.audience``); ``tests/proofs/test_audience.py``
checks against the row rules that a role left out of a type's audience is given none of its rows.
"""

from __future__ import annotations

from typing import Any

from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    AdvocacyAction,
    AdvocacyOrganizer,
    AuditEvent,
    CaseSupporter,
    Congregation,
    HospitalityShift,
    HouseholdLink,
    IncidentDispatch,
    IncidentTimelineEvent,
    Member,
    OAuthClient,
    Organization,
    Person,
    PersonalAccessToken,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
    Training,
    WebhookDelivery,
    WebhookEndpoint,
)
from api.models.enums import Role

_ALL_MEMBERS = frozenset(Role)
_READERS = _ALL_MEMBERS - {Role.AUDITOR}  # an auditor reads the audit log and no record content
# None: anonymous viewers too (and every member but one holding only AUDITOR).
AUDIENCE: dict[type[Any], frozenset[Role] | None] = {
    Region: _READERS,
    Organization: _READERS,
    Congregation: None,
    Member: _READERS,
    Training: _READERS,
    Person: frozenset(
        {
            Role.ORG_ADMIN,
            Role.LEGAL_ADVOCATE,
            Role.NETWORK_COORDINATOR,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.ACCOMPANIMENT_COORDINATOR,
            Role.ACCOMPANIER,
        }
    ),
    HouseholdLink: frozenset({Role.ORG_ADMIN, Role.LEGAL_ADVOCATE}),
    SanctuaryCase: frozenset(
        {
            Role.ORG_ADMIN,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.NETWORK_COORDINATOR,
            Role.ORGANIZER,
        }
    ),
    CaseSupporter: frozenset(
        {
            Role.ORG_ADMIN,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.NETWORK_COORDINATOR,
            Role.ORGANIZER,
        }
    ),
    HospitalityShift: frozenset(
        {Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER, Role.NETWORK_COORDINATOR}
    ),
    ShiftAssignment: _READERS,  # one's own sign-ups
    AccompanimentRequest: frozenset(
        {
            Role.ORG_ADMIN,
            Role.LEGAL_ADVOCATE,
            Role.ACCOMPANIMENT_COORDINATOR,
            Role.ACCOMPANIER,
            Role.NETWORK_COORDINATOR,
        }
    ),
    AccompanimentAssignment: _READERS,  # one's own assignments
    RapidResponseIncident: None,
    IncidentDispatch: _READERS,  # one's own dispatches
    IncidentTimelineEvent: frozenset({Role.ORG_ADMIN, Role.RR_DISPATCHER, Role.RR_RESPONDER}),
    AdvocacyAction: None,
    AdvocacyOrganizer: None,
    AuditEvent: frozenset({Role.AUDITOR}),
    # one's own credentials, which every person lists (domain.md: a token is a person's own), auditors too: no
    # record content (tests/proofs/test_access_edges.py)
    PersonalAccessToken: _ALL_MEMBERS,
    OAuthClient: frozenset({Role.ORG_ADMIN}),
    WebhookEndpoint: frozenset({Role.ORG_ADMIN}),  # and a partner app with the webhooks scope (its own)
    WebhookDelivery: frozenset({Role.ORG_ADMIN}),
}
# what a partner app holding the `webhooks` scope reads whatever its roles (api/auth/webhooks.py)
WEBHOOK_MODELS = frozenset({WebhookEndpoint, WebhookDelivery})


def may_ever_read(model: type[Any], anonymous: bool, roles: frozenset[Role], *, webhooks: bool = False) -> bool:
    """Whether a viewer with these roles can read some row of ``model`` (drives each role's schema); ``webhooks``:
    the viewer is a partner app holding the ``webhooks`` scope."""
    if webhooks and model in WEBHOOK_MODELS:
        return True
    audience = AUDIENCE[model]
    if audience is None:  # public types, for all but a member holding only AUDITOR
        return anonymous or roles != {Role.AUDITOR}
    return not anonymous and bool(audience & roles)
