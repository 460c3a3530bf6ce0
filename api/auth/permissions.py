"""Who may call each mutation: the single table, checked before any business rule runs.

A mutation also needs the ``write`` scope (personal tokens have it; partner apps only when
granted). Mutations a viewer's roles can never call are absent from its schema.
"""

from __future__ import annotations

from api.auth.viewer import Viewer
from api.models.enums import Role

_ORG_ADMIN = frozenset({Role.ORG_ADMIN})
_HUB = frozenset({Role.NETWORK_COORDINATOR})
_SANCTUARY = frozenset({Role.SANCTUARY_COORDINATOR})
_VOLUNTEER = frozenset({Role.HOSPITALITY_VOLUNTEER})
_MATCHER = frozenset({Role.ACCOMPANIMENT_COORDINATOR})
_ACCOMPANIER = frozenset({Role.ACCOMPANIER})
_DISPATCH = frozenset({Role.RR_DISPATCHER})
_RESPONDERS = frozenset({Role.RR_DISPATCHER, Role.RR_RESPONDER})
_ORGANIZER = frozenset({Role.ORGANIZER})

MUTATIONS: dict[str, frozenset[Role]] = {
    # credentials of an organization
    "personalAccessTokenCreate": _ORG_ADMIN,
    "personalAccessTokenRevoke": _ORG_ADMIN,
    "partnerAppCreate": _ORG_ADMIN,
    "partnerAppDisable": _ORG_ADMIN,
    # a member's own consents to partner apps (any role: it is the person's own choice)
    "appConsentRevoke": frozenset(Role),
    # administration
    "regionCreate": _HUB,
    "regionUpdate": _HUB,
    "organizationCreate": _HUB,
    "organizationUpdate": _HUB | _ORG_ADMIN,
    "congregationUpdate": _HUB | _ORG_ADMIN,
    "memberCreate": _ORG_ADMIN,
    "memberUpdate": _ORG_ADMIN,
    "memberDeactivate": _ORG_ADMIN,
    "memberInvite": _ORG_ADMIN,
    "trainingRecord": _ORG_ADMIN,
    # people the network protects
    "personCreate": frozenset({Role.SANCTUARY_COORDINATOR, Role.LEGAL_ADVOCATE}),
    # physical sanctuary
    "sanctuaryCaseOpen": _SANCTUARY,
    "sanctuaryCaseTransition": _SANCTUARY,
    "sanctuaryCaseUpdate": _SANCTUARY,
    "sanctuaryCaseSupporterAdd": _SANCTUARY,
    "sanctuaryCaseSupporterRemove": _SANCTUARY,
    "sanctuaryCaseConsentRecord": _SANCTUARY,
    "sanctuaryCaseConsentWithdraw": _SANCTUARY,
    "sanctuaryCaseBurn": _ORG_ADMIN,
    "hospitalityShiftCreate": _SANCTUARY,
    "hospitalityShiftSignUp": _VOLUNTEER,
    "hospitalityShiftWithdraw": _VOLUNTEER,
    "hospitalityShiftComplete": _SANCTUARY | _VOLUNTEER,
    "hospitalityShiftMiss": _SANCTUARY,
    # accompaniment
    "accompanimentRequestSubmit": frozenset({Role.LEGAL_ADVOCATE, Role.ACCOMPANIMENT_COORDINATOR}),
    "accompanimentRequestTriage": _MATCHER,
    "accompanimentRequestOffer": _MATCHER,
    "accompanimentRequestConfirm": _MATCHER,
    "accompanimentRequestComplete": _MATCHER | _ACCOMPANIER,
    "accompanimentRequestCancel": _MATCHER | frozenset({Role.LEGAL_ADVOCATE}),
    "accompanimentAssignmentAccept": _ACCOMPANIER,
    "accompanimentAssignmentDecline": _ACCOMPANIER,
    # rapid response
    "incidentReport": _DISPATCH,
    "incidentVerificationStart": _DISPATCH,
    "incidentVerificationRecord": _DISPATCH,
    "incidentDispatch": _DISPATCH,
    "incidentDispatchArrive": _RESPONDERS,
    "incidentDispatchRelease": _RESPONDERS,
    "incidentBroadcast": _DISPATCH,
    "incidentBroadcastRetract": _DISPATCH,
    "incidentTransition": _DISPATCH,
    "incidentTimelineAdd": _RESPONDERS,
    # advocacy
    "advocacyActionPlan": _ORGANIZER,
    "advocacyActionUpdate": _ORGANIZER,
    "advocacyActionTransition": _ORGANIZER,
    "advocacyActionLinkCase": _ORGANIZER,
    "advocacyActionUnlinkCase": _ORGANIZER,
}


# What a person does for themselves, or what needs named people: never a partner app acting for its
# organization (signing up for a shift, answering an invitation, one of the two admins of a burn,
# creating one's own personal access token, handing a person a sign-in invitation).
MEMBERS_ONLY = frozenset(
    {
        "personalAccessTokenCreate",
        "appConsentRevoke",
        "memberInvite",
        "hospitalityShiftSignUp",
        "hospitalityShiftWithdraw",
        "accompanimentAssignmentAccept",
        "accompanimentAssignmentDecline",
        "sanctuaryCaseBurn",
    }
)


def may_call(viewer: Viewer, mutation: str) -> bool:
    """Whether the viewer's roles and scopes (and, for some, being a member) allow calling ``mutation``."""
    if mutation in MEMBERS_ONLY and viewer.member_id is None:
        return False
    return "write" in viewer.scopes and bool(MUTATIONS[mutation] & viewer.roles)


def may_ever_call(anonymous: bool, roles: frozenset[Role], mutation: str) -> bool:
    """Whether the mutation belongs in the schema of an audience."""
    return not anonymous and bool(MUTATIONS[mutation] & roles)
