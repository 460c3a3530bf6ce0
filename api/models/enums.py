"""Enumerations shared by the models and the GraphQL schema (one definition each)."""

from __future__ import annotations

import enum


class OrganizationKind(enum.StrEnum):
    NETWORK_HUB = "NETWORK_HUB"
    CONGREGATION = "CONGREGATION"
    LEGAL_AID = "LEGAL_AID"
    COMMUNITY_GROUP = "COMMUNITY_GROUP"
    RAPID_RESPONSE = "RAPID_RESPONSE"


class Role(enum.StrEnum):
    NETWORK_COORDINATOR = "NETWORK_COORDINATOR"
    ORG_ADMIN = "ORG_ADMIN"
    SANCTUARY_COORDINATOR = "SANCTUARY_COORDINATOR"
    HOSPITALITY_VOLUNTEER = "HOSPITALITY_VOLUNTEER"
    ACCOMPANIMENT_COORDINATOR = "ACCOMPANIMENT_COORDINATOR"
    ACCOMPANIER = "ACCOMPANIER"
    LEGAL_ADVOCATE = "LEGAL_ADVOCATE"
    RR_DISPATCHER = "RR_DISPATCHER"
    RR_RESPONDER = "RR_RESPONDER"
    ORGANIZER = "ORGANIZER"
    AUDITOR = "AUDITOR"


class Commitment(enum.StrEnum):
    HOST = "HOST"
    SUPPORTING = "SUPPORTING"
    DISCERNING = "DISCERNING"


class TrainingKind(enum.StrEnum):
    ACCOMPANIMENT = "ACCOMPANIMENT"
    LEGAL_OBSERVER = "LEGAL_OBSERVER"
    DISPATCHER = "DISPATCHER"
    HOSPITALITY = "HOSPITALITY"
    DEESCALATION = "DEESCALATION"


class SanctuaryCaseStatus(enum.StrEnum):
    INQUIRY = "INQUIRY"
    DISCERNMENT = "DISCERNMENT"
    PREPARING = "PREPARING"
    IN_SANCTUARY = "IN_SANCTUARY"
    EXITED = "EXITED"
    CLOSED = "CLOSED"
    DECLINED = "DECLINED"


class ExitOutcome(enum.StrEnum):
    STAY_GRANTED = "STAY_GRANTED"
    RELIEF_GRANTED = "RELIEF_GRANTED"
    LEFT_VOLUNTARILY = "LEFT_VOLUNTARILY"
    DETAINED = "DETAINED"
    OTHER = "OTHER"


class SupportRole(enum.StrEnum):
    HOSPITALITY = "HOSPITALITY"
    PROTECTION = "PROTECTION"
    SPIRITUAL = "SPIRITUAL"
    ADVOCACY = "ADVOCACY"
    LEGAL = "LEGAL"


class ShiftStatus(enum.StrEnum):
    OPEN = "OPEN"
    FILLED = "FILLED"
    COMPLETED = "COMPLETED"
    MISSED = "MISSED"


class ShiftAssignmentStatus(enum.StrEnum):
    SIGNED_UP = "SIGNED_UP"
    WITHDRAWN = "WITHDRAWN"
    ATTENDED = "ATTENDED"
    ABSENT = "ABSENT"


class AccompanimentKind(enum.StrEnum):
    COURT_HEARING = "COURT_HEARING"
    ICE_CHECK_IN = "ICE_CHECK_IN"
    ISAP_CHECK_IN = "ISAP_CHECK_IN"
    BIOMETRICS = "BIOMETRICS"
    SERVICES = "SERVICES"
    HOUSING = "HOUSING"
    EMOTIONAL_SUPPORT = "EMOTIONAL_SUPPORT"
    TRANSPORT = "TRANSPORT"


class Urgency(enum.StrEnum):
    ROUTINE = "ROUTINE"
    SOON = "SOON"
    URGENT = "URGENT"
    EMERGENCY = "EMERGENCY"


class AccompanimentStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    TRIAGED = "TRIAGED"
    MATCHING = "MATCHING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    UNFILLED = "UNFILLED"


class AccompanimentOutcome(enum.StrEnum):
    ATTENDED = "ATTENDED"
    RESCHEDULED = "RESCHEDULED"
    RELEASED = "RELEASED"
    DETAINED = "DETAINED"
    OTHER = "OTHER"


class AssignmentRole(enum.StrEnum):
    LEAD = "LEAD"
    SUPPORT = "SUPPORT"
    DRIVER = "DRIVER"
    INTERPRETER = "INTERPRETER"


class AssignmentStatus(enum.StrEnum):
    INVITED = "INVITED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"


class IncidentKind(enum.StrEnum):
    WORKPLACE_RAID = "WORKPLACE_RAID"
    HOME_RAID = "HOME_RAID"
    VEHICLE_STOP = "VEHICLE_STOP"
    COURTHOUSE_ARREST = "COURTHOUSE_ARREST"
    CHECK_IN_ARREST = "CHECK_IN_ARREST"
    CHECKPOINT = "CHECKPOINT"
    OTHER = "OTHER"


class IntakeChannel(enum.StrEnum):
    HOTLINE = "HOTLINE"
    TEXT_LINE = "TEXT_LINE"
    PARTNER_APP = "PARTNER_APP"
    IN_PERSON = "IN_PERSON"
    ACCOMPANIMENT = "ACCOMPANIMENT"


class IncidentRouting(enum.StrEnum):
    """How an incident opened by the network (not by a dispatcher) found the organization holding it."""

    REGION_TEAM = "REGION_TEAM"
    DESIGNATED_TEAM = "DESIGNATED_TEAM"
    HUB_FALLBACK = "HUB_FALLBACK"


class Verification(enum.StrEnum):
    UNVERIFIED = "UNVERIFIED"
    VERIFYING = "VERIFYING"
    CONFIRMED = "CONFIRMED"
    FALSE_ALARM = "FALSE_ALARM"
    NOT_ICE = "NOT_ICE"
    UNABLE_TO_VERIFY = "UNABLE_TO_VERIFY"


class IncidentStatus(enum.StrEnum):
    OPEN = "OPEN"
    ACTIVE = "ACTIVE"
    STABLE = "STABLE"
    CLOSED = "CLOSED"


class DispatchRole(enum.StrEnum):
    DISPATCHER = "DISPATCHER"
    VERIFIER = "VERIFIER"
    LEGAL_OBSERVER = "LEGAL_OBSERVER"
    LEGAL_LIAISON = "LEGAL_LIAISON"


class TimelineKind(enum.StrEnum):
    NOTE = "NOTE"
    STATUS_CHANGE = "STATUS_CHANGE"
    VERIFICATION = "VERIFICATION"
    DISPATCH = "DISPATCH"
    BROADCAST = "BROADCAST"
    DEBRIEF = "DEBRIEF"


class AdvocacyKind(enum.StrEnum):
    VIGIL = "VIGIL"
    RALLY = "RALLY"
    CALL_IN = "CALL_IN"
    MEETING_WITH_OFFICIAL = "MEETING_WITH_OFFICIAL"
    PRESS_CONFERENCE = "PRESS_CONFERENCE"
    PUBLIC_WITNESS = "PUBLIC_WITNESS"
    OTHER = "OTHER"


class AdvocacyLevel(enum.StrEnum):
    LOCAL = "LOCAL"
    STATE = "STATE"
    NATIONAL = "NATIONAL"


class Visibility(enum.StrEnum):
    PUBLIC = "PUBLIC"
    NETWORK = "NETWORK"
    ORG = "ORG"


class AdvocacyStatus(enum.StrEnum):
    PLANNED = "PLANNED"
    ANNOUNCED = "ANNOUNCED"
    HELD = "HELD"
    CANCELLED = "CANCELLED"


class AuditAction(enum.StrEnum):
    READ = "READ"
    MUTATION = "MUTATION"


class AuditOutcome(enum.StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"
    FAILED = "FAILED"


class EventKind(enum.StrEnum):
    """What happened to a record, as the outbox (``domain_event``) names it; never a value of the record."""

    INCIDENT_REPORTED = "INCIDENT_REPORTED"
    INCIDENT_VERIFICATION_CHANGED = "INCIDENT_VERIFICATION_CHANGED"
    INCIDENT_STATUS_CHANGED = "INCIDENT_STATUS_CHANGED"  # activated, stabilized
    INCIDENT_CLOSED = "INCIDENT_CLOSED"
    INCIDENT_BROADCAST = "INCIDENT_BROADCAST"
    INCIDENT_RETRACTED = "INCIDENT_RETRACTED"
    RESPONDER_DISPATCHED = "RESPONDER_DISPATCHED"
    RESPONDER_ARRIVED = "RESPONDER_ARRIVED"
    RESPONDER_RELEASED = "RESPONDER_RELEASED"
    REQUEST_SUBMITTED = "REQUEST_SUBMITTED"
    REQUEST_TRIAGED = "REQUEST_TRIAGED"
    REQUEST_MATCHING = "REQUEST_MATCHING"  # offered, or reopened when its last volunteer declined
    REQUEST_CONFIRMED = "REQUEST_CONFIRMED"
    REQUEST_COMPLETED = "REQUEST_COMPLETED"
    REQUEST_CANCELLED = "REQUEST_CANCELLED"
    ASSIGNMENT_OFFERED = "ASSIGNMENT_OFFERED"
    ASSIGNMENT_ACCEPTED = "ASSIGNMENT_ACCEPTED"
    ASSIGNMENT_DECLINED = "ASSIGNMENT_DECLINED"
    SHIFT_CREATED = "SHIFT_CREATED"
    SHIFT_FILLED = "SHIFT_FILLED"
    SHIFT_NEEDS_VOLUNTEERS = "SHIFT_NEEDS_VOLUNTEERS"
    SHIFT_COMPLETED = "SHIFT_COMPLETED"
    SHIFT_MISSED = "SHIFT_MISSED"
    CASE_OPENED = "CASE_OPENED"
    CASE_STATUS_CHANGED = "CASE_STATUS_CHANGED"
    BURN_REQUESTED = "BURN_REQUESTED"
    BURN_CONFIRMED = "BURN_CONFIRMED"
    ADVOCACY_ANNOUNCED = "ADVOCACY_ANNOUNCED"
    ADVOCACY_HELD = "ADVOCACY_HELD"
    ADVOCACY_CANCELLED = "ADVOCACY_CANCELLED"
    MEMBER_DEACTIVATED = "MEMBER_DEACTIVATED"


class WebhookDeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"  # due at next_attempt_at (claimed ones are pushed a lease ahead)
    SUCCEEDED = "SUCCEEDED"  # the receiver answered 2xx
    FAILED = "FAILED"  # retries exhausted, or a failure no retry can mend (a payload over the size cap)
    DROPPED = "DROPPED"  # not sent: the app was disabled or its ceiling no longer reads the record's type
    NOT_VISIBLE = "NOT_VISIBLE"  # not sent: the app may not read this record (never listed)


class WebhookDisabledReason(enum.StrEnum):
    MANUAL = "MANUAL"  # an admin (or the app) disabled it
    FAILING = "FAILING"  # it kept failing: disabled by the delivery worker
