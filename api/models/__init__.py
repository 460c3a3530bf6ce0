"""SQLAlchemy models of every entity; importing this module registers them all on ``Base.metadata``."""

from api.models.accompaniment import AccompanimentAssignment, AccompanimentRequest
from api.models.advocacy import AdvocacyAction, AdvocacyOrganizer
from api.models.audit import AuditEvent
from api.models.base import Base, Entity, Tier
from api.models.network import Congregation, Organization, Region
from api.models.people import HouseholdLink, Member, MemberRoleGrant, Person, Training
from api.models.rapid_response import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident
from api.models.ratelimit import RateLimitBucket
from api.models.sanctuary import CaseBurnRequest, CaseSupporter, HospitalityShift, SanctuaryCase, ShiftAssignment
from api.models.security import DataKey, IdempotencyKey, OAuthClient, PersonalAccessToken, RevokedToken, SigningKey

__all__ = [
    "AccompanimentAssignment",
    "AccompanimentRequest",
    "AdvocacyAction",
    "AdvocacyOrganizer",
    "AuditEvent",
    "Base",
    "CaseBurnRequest",
    "CaseSupporter",
    "Congregation",
    "DataKey",
    "Entity",
    "HospitalityShift",
    "HouseholdLink",
    "IdempotencyKey",
    "IncidentDispatch",
    "IncidentTimelineEvent",
    "Member",
    "MemberRoleGrant",
    "OAuthClient",
    "Organization",
    "Person",
    "PersonalAccessToken",
    "RapidResponseIncident",
    "RateLimitBucket",
    "Region",
    "RevokedToken",
    "SanctuaryCase",
    "ShiftAssignment",
    "SigningKey",
    "Tier",
    "Training",
]
