"""GraphQL enums: the model enums, registered with a description for the type and every value."""

from __future__ import annotations

import enum

import strawberry

from api.models import enums as e
from api.services.rapid_response.incidents import VerificationResult
from api.services.shared import lifecycles as moves

DESCRIPTIONS: dict[type[enum.Enum], tuple[str, dict[str, str]]] = {
    e.OrganizationKind: (
        "What kind of organization a network member is.",
        {
            "NETWORK_HUB": "The interfaith hub coordinating the network.",
            "CONGREGATION": "A congregation (hosts or supports sanctuary, sends volunteers).",
            "LEGAL_AID": "A legal aid group (submits accompaniment requests, holds legal case details).",
            "COMMUNITY_GROUP": "A community or immigrant-led group.",
            "RAPID_RESPONSE": "A rapid-response team running a hotline and dispatching responders.",
        },
    ),
    e.Role: (
        "A role a member holds in their organization.",
        {
            "NETWORK_COORDINATOR": "Hub coordinator: network-wide view of network-level data; manages organizations.",
            "ORG_ADMIN": "Administers an organization: its members, tokens and partner apps.",
            "SANCTUARY_COORDINATOR": "Runs the sanctuary cases its congregation hosts.",
            "HOSPITALITY_VOLUNTEER": "Signs up for hospitality shifts.",
            "ACCOMPANIMENT_COORDINATOR": "Triages and matches accompaniment requests.",
            "ACCOMPANIER": "Accompanies people to appointments.",
            "LEGAL_ADVOCATE": "Legal aid staff: submits requests and records legal status.",
            "RR_DISPATCHER": "Takes hotline reports, verifies, dispatches and broadcasts.",
            "RR_RESPONDER": "Responds on the ground when dispatched.",
            "ORGANIZER": "Plans and announces advocacy actions.",
            "AUDITOR": "Reads the audit log, never record content.",
        },
    ),
    e.Commitment: (
        "A congregation's sanctuary commitment.",
        {
            "HOST": "Shelters people in sanctuary on its property.",
            "SUPPORTING": "Supports a host with hospitality, protection, spiritual support or advocacy.",
            "DISCERNING": "Is discerning whether to commit.",
        },
    ),
    e.TrainingKind: (
        "A training a volunteer can complete.",
        {
            "ACCOMPANIMENT": "Accompaniment to hearings and check-ins (required to be assigned to requests).",
            "LEGAL_OBSERVER": "Legal observation of enforcement actions.",
            "DISPATCHER": "Hotline intake and dispatch.",
            "HOSPITALITY": "Hospitality and protection shifts in sanctuary.",
            "DEESCALATION": "De-escalation.",
        },
    ),
    e.SanctuaryCaseStatus: (
        "Lifecycle of a sanctuary case: INQUIRY -> DISCERNMENT -> PREPARING -> IN_SANCTUARY -> EXITED -> CLOSED, "
        "or DECLINED before IN_SANCTUARY.",
        {
            "INQUIRY": "A first request for sanctuary.",
            "DISCERNMENT": "The host congregation is discerning.",
            "PREPARING": "Accepted; preparing the space, the support and the public story.",
            "IN_SANCTUARY": "The guest is living in sanctuary.",
            "EXITED": "The guest has left sanctuary (see the exit outcome).",
            "CLOSED": "The case is closed.",
            "DECLINED": "The case was declined before sanctuary began.",
        },
    ),
    e.ExitOutcome: (
        "How a stay in sanctuary ended.",
        {
            "STAY_GRANTED": "A stay of removal was granted.",
            "RELIEF_GRANTED": "Immigration relief was granted.",
            "LEFT_VOLUNTARILY": "The guest chose to leave.",
            "DETAINED": "The guest was detained.",
            "OTHER": "Another outcome.",
        },
    ),
    e.SupportRole: (
        "What a supporting congregation does for a sanctuary case.",
        {
            "HOSPITALITY": "Meals, company, everyday needs.",
            "PROTECTION": "Someone present around the clock.",
            "SPIRITUAL": "Spiritual support.",
            "ADVOCACY": "Public advocacy for the guest.",
            "LEGAL": "Help with the legal case.",
        },
    ),
    e.ShiftStatus: (
        "Lifecycle of a hospitality shift: OPEN -> FILLED -> COMPLETED or MISSED.",
        {
            "OPEN": "Needs more volunteers.",
            "FILLED": "Enough volunteers signed up.",
            "COMPLETED": "Held as planned.",
            "MISSED": "Not (fully) covered.",
        },
    ),
    e.ShiftAssignmentStatus: (
        "A volunteer's sign-up for a shift.",
        {
            "SIGNED_UP": "Signed up.",
            "WITHDRAWN": "Withdrew before the shift.",
            "ATTENDED": "Was present.",
            "ABSENT": "Did not come.",
        },
    ),
    e.AccompanimentKind: (
        "What an accompaniment request is for.",
        {
            "COURT_HEARING": "An immigration court hearing.",
            "ICE_CHECK_IN": "An ICE check-in.",
            "ISAP_CHECK_IN": "An ISAP (alternatives to detention) check-in.",
            "BIOMETRICS": "A biometrics appointment.",
            "SERVICES": "Reaching social, medical or legal services.",
            "HOUSING": "Transitional housing.",
            "EMOTIONAL_SUPPORT": "Emotional support.",
            "TRANSPORT": "A ride.",
        },
    ),
    e.Urgency: (
        "How urgent a request is.",
        {
            "ROUTINE": "Weeks ahead.",
            "SOON": "Within days.",
            "URGENT": "Within 48 hours.",
            "EMERGENCY": "Now.",
        },
    ),
    e.AccompanimentStatus: (
        "Lifecycle of a request: SUBMITTED -> TRIAGED -> MATCHING -> CONFIRMED -> COMPLETED; CANCELLED from any "
        "open state; UNFILLED when the appointment passed unmatched.",
        {
            "SUBMITTED": "Submitted by the requesting organization.",
            "TRIAGED": "Reviewed by a coordinator.",
            "MATCHING": "Offered to volunteers.",
            "CONFIRMED": "Volunteers confirmed.",
            "COMPLETED": "Accompaniment took place (see the outcome).",
            "CANCELLED": "Cancelled.",
            "UNFILLED": "The appointment passed without a match.",
        },
    ),
    e.AccompanimentOutcome: (
        "What happened at an accompanied appointment.",
        {
            "ATTENDED": "The appointment took place without incident.",
            "RESCHEDULED": "The appointment was rescheduled.",
            "RELEASED": "The person was held and then released.",
            "DETAINED": "The person was detained (opens a rapid-response incident).",
            "OTHER": "Another outcome.",
        },
    ),
    e.AssignmentRole: (
        "A volunteer's role on an accompaniment.",
        {
            "LEAD": "Leads the accompaniment.",
            "SUPPORT": "Accompanies.",
            "DRIVER": "Drives.",
            "INTERPRETER": "Interprets.",
        },
    ),
    e.AssignmentStatus: (
        "A volunteer's answer to, and attendance on, an accompaniment.",
        {
            "INVITED": "Offered, not yet answered.",
            "ACCEPTED": "Accepted.",
            "DECLINED": "Declined.",
            "COMPLETED": "Went.",
            "NO_SHOW": "Did not come.",
        },
    ),
    e.IncidentKind: (
        "What kind of enforcement action was reported.",
        {
            "WORKPLACE_RAID": "A raid at a workplace.",
            "HOME_RAID": "A raid at a home.",
            "VEHICLE_STOP": "A vehicle stop.",
            "COURTHOUSE_ARREST": "An arrest at a courthouse.",
            "CHECK_IN_ARREST": "An arrest at a check-in.",
            "CHECKPOINT": "A checkpoint.",
            "OTHER": "Something else.",
        },
    ),
    e.IncidentRouting: (
        "How an incident the network opened (a detention) reached the organization holding it.",
        {
            "REGION_TEAM": "The rapid-response organization working in the incident's region.",
            "DESIGNATED_TEAM": "The rapid-response organization the hub designated for the region.",
            "HUB_FALLBACK": "The hub: the region has no rapid-response organization and none is designated, so "
            "no dispatcher may be able to act until the hub designates one (regionUpdate).",
        },
    ),
    e.IntakeChannel: (
        "How a report reached the network.",
        {
            "HOTLINE": "A call to the hotline.",
            "TEXT_LINE": "A text message.",
            "PARTNER_APP": "A partner application.",
            "IN_PERSON": "In person.",
            "ACCOMPANIMENT": "Opened from an accompaniment that ended in detention.",
        },
    ),
    e.Verification: (
        "Verification of a report: UNVERIFIED -> VERIFYING -> one of the outcomes. Only CONFIRMED may be broadcast.",
        {
            "UNVERIFIED": "Not yet checked.",
            "VERIFYING": "A verifier is checking.",
            "CONFIRMED": "Confirmed enforcement activity.",
            "FALSE_ALARM": "Nothing was happening.",
            "NOT_ICE": "Another agency or activity, not immigration enforcement.",
            "UNABLE_TO_VERIFY": "Could not be verified.",
        },
    ),
    e.IncidentStatus: (
        "Lifecycle of an incident: OPEN -> ACTIVE -> STABLE -> CLOSED.",
        {
            "OPEN": "Reported.",
            "ACTIVE": "Responders are engaged.",
            "STABLE": "Immediate response is over; follow-up continues.",
            "CLOSED": "Closed.",
        },
    ),
    e.DispatchRole: (
        "A responder's role at an incident.",
        {
            "DISPATCHER": "Coordinates from the hotline.",
            "VERIFIER": "Verifies on site (needed before a broadcast).",
            "LEGAL_OBSERVER": "Observes and documents.",
            "LEGAL_LIAISON": "Connects affected families to lawyers.",
        },
    ),
    e.TimelineKind: (
        "What a timeline entry records.",
        {
            "NOTE": "A note.",
            "STATUS_CHANGE": "A lifecycle change.",
            "VERIFICATION": "A verification step.",
            "DISPATCH": "A dispatch, arrival or release.",
            "BROADCAST": "A broadcast or its retraction.",
            "DEBRIEF": "A debrief.",
        },
    ),
    e.AdvocacyKind: (
        "What kind of advocacy action.",
        {
            "VIGIL": "A vigil.",
            "RALLY": "A rally or march.",
            "CALL_IN": "A call-in to officials.",
            "MEETING_WITH_OFFICIAL": "A meeting with an official.",
            "PRESS_CONFERENCE": "A press conference.",
            "PUBLIC_WITNESS": "A public witness.",
            "OTHER": "Something else.",
        },
    ),
    e.AdvocacyLevel: (
        "The level of government an action targets.",
        {"LOCAL": "Local.", "STATE": "State.", "NATIONAL": "National."},
    ),
    e.Visibility: (
        "Who may see an advocacy action.",
        {
            "PUBLIC": "Anyone, once announced.",
            "NETWORK": "Members of the network.",
            "ORG": "The organizing organizations only.",
        },
    ),
    e.AdvocacyStatus: (
        "Lifecycle of an action: PLANNED -> ANNOUNCED -> HELD or CANCELLED.",
        {"PLANNED": "Being planned.", "ANNOUNCED": "Announced.", "HELD": "Took place.", "CANCELLED": "Cancelled."},
    ),
    e.AuditAction: (
        "What an audit event records.",
        {"READ": "A read of restricted or critical fields.", "MUTATION": "A change."},
    ),
    e.AuditOutcome: (
        "The outcome of an audited operation.",
        {"ALLOWED": "Allowed.", "DENIED": "Refused.", "FAILED": "Failed."},
    ),
    # lifecycle moves (api/services/shared/lifecycles.py holds which state each is allowed from)
    moves.SanctuaryCaseAction: (
        "A move in a sanctuary case's lifecycle.",
        {
            "BEGIN_DISCERNMENT": "INQUIRY -> DISCERNMENT: the congregation discerns whether to host.",
            "BEGIN_PREPARING": "DISCERNMENT -> PREPARING: the congregation prepares to host.",
            "ENTER_SANCTUARY": "PREPARING -> IN_SANCTUARY: the guest entered sanctuary.",
            "EXIT": "IN_SANCTUARY -> EXITED: the guest left; needs `exitOutcome`.",
            "CLOSE": "EXITED -> CLOSED: the case is closed.",
            "DECLINE": "INQUIRY, DISCERNMENT or PREPARING -> DECLINED: the congregation will not host.",
        },
    ),
    moves.IncidentAction: (
        "A move in an incident's response lifecycle.",
        {
            "ACTIVATE": "OPEN -> ACTIVE: responders are working the incident.",
            "STABILIZE": "ACTIVE -> STABLE: the immediate response is over; follow-up continues.",
            "CLOSE": "OPEN or STABLE -> CLOSED: nothing more to do.",
        },
    ),
    VerificationResult: (
        "What verifying an incident report found.",
        {
            "CONFIRM": "VERIFYING -> CONFIRMED: enforcement activity confirmed on site.",
            "FALSE_ALARM": "VERIFYING -> FALSE_ALARM: nothing happened.",
            "NOT_ICE": "VERIFYING -> NOT_ICE: another agency, not immigration enforcement.",
            "UNABLE_TO_VERIFY": "VERIFYING -> UNABLE_TO_VERIFY: could not be verified.",
        },
    ),
    moves.AdvocacyActionStep: (
        "A move in an advocacy action's lifecycle.",
        {
            "ANNOUNCE": "PLANNED -> ANNOUNCED: publish it to its audience.",
            "HOLD": "ANNOUNCED -> HELD: it took place.",
            "CANCEL": "PLANNED or ANNOUNCED -> CANCELLED.",
        },
    ),
    e.EventKind: (
        "What happened to a record, as a subscription reports it.",
        {
            "INCIDENT_REPORTED": "An incident was reported.",
            "INCIDENT_VERIFICATION_CHANGED": "An incident's verification moved (verifying, confirmed, false alarm...).",
            "INCIDENT_STATUS_CHANGED": "An incident was activated or stabilized.",
            "INCIDENT_CLOSED": "An incident was closed.",
            "INCIDENT_BROADCAST": "A confirmed incident was broadcast as a public alert.",
            "INCIDENT_RETRACTED": "An incident's broadcast was retracted.",
            "RESPONDER_DISPATCHED": "A responder was dispatched to an incident.",
            "RESPONDER_ARRIVED": "A dispatched responder arrived.",
            "RESPONDER_RELEASED": "A dispatched responder was released.",
            "REQUEST_SUBMITTED": "An accompaniment request was submitted.",
            "REQUEST_TRIAGED": "An accompaniment request was triaged.",
            "REQUEST_MATCHING": "Volunteers are being offered an accompaniment request.",
            "REQUEST_CONFIRMED": "An accompaniment request has its volunteers.",
            "REQUEST_COMPLETED": "An accompaniment took place.",
            "REQUEST_CANCELLED": "An accompaniment request was cancelled.",
            "ASSIGNMENT_OFFERED": "A volunteer was offered an accompaniment.",
            "ASSIGNMENT_ACCEPTED": "A volunteer accepted an accompaniment.",
            "ASSIGNMENT_DECLINED": "A volunteer declined an accompaniment.",
            "SHIFT_CREATED": "A hospitality shift was scheduled.",
            "SHIFT_FILLED": "A hospitality shift has all its volunteers.",
            "SHIFT_NEEDS_VOLUNTEERS": "A hospitality shift is short of volunteers.",
            "SHIFT_COMPLETED": "A hospitality shift was completed.",
            "SHIFT_MISSED": "A hospitality shift was missed.",
            "CASE_OPENED": "A sanctuary case was opened.",
            "CASE_STATUS_CHANGED": "A sanctuary case moved in its lifecycle.",
            "BURN_REQUESTED": "An org admin asked to burn a sanctuary case: a second admin must confirm.",
            "BURN_CONFIRMED": "A sanctuary case was burned.",
            "ADVOCACY_ANNOUNCED": "An advocacy action was announced.",
            "ADVOCACY_HELD": "An advocacy action took place.",
            "ADVOCACY_CANCELLED": "An advocacy action was cancelled.",
            "MEMBER_DEACTIVATED": "A member was deactivated.",
        },
    ),
}


def register_enums() -> None:
    """Register every model enum with strawberry, with its descriptions."""
    for enum_cls, (description, values) in DESCRIPTIONS.items():
        if hasattr(enum_cls, "__strawberry_definition__"):
            continue
        strawberry.enum(enum_cls, description=description)
        for value in enum_cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
            value.description = values[value.name]


register_enums()
