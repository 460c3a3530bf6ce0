"""SQLAlchemy models of every entity; importing this module registers them all on ``Base.metadata``."""

from api.models.accompaniment import AccompanimentAssignment, AccompanimentRequest
from api.models.advocacy import AdvocacyAction, AdvocacyOrganizer
from api.models.audit import AuditEvent
from api.models.base import Base, Entity, Tier
from api.models.events import DomainEvent
from api.models.live import LiveConnectionSlot
from api.models.network import Congregation, Organization, Region
from api.models.people import HouseholdLink, Member, MemberRoleGrant, Person, Training
from api.models.rapid_response import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident
from api.models.ratelimit import RateLimitBucket
from api.models.sanctuary import CaseBurnRequest, CaseSupporter, HospitalityShift, SanctuaryCase, ShiftAssignment
from api.models.security import DataKey, IdempotencyKey, OAuthClient, PersonalAccessToken, RevokedToken, SigningKey
from api.models.signin import (
    MemberInvitation,
    OAuthAuthorizationCode,
    OAuthConsent,
    OAuthDeviceCode,
    OAuthRefreshToken,
    OAuthSession,
    Passkey,
    SigninSession,
    WebauthnChallenge,
)
from api.models.trusted_documents import TrustedDocument
from api.models.webhooks import WebhookCursor, WebhookDelivery, WebhookEndpoint

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
    "DomainEvent",
    "Entity",
    "HospitalityShift",
    "HouseholdLink",
    "IdempotencyKey",
    "IncidentDispatch",
    "IncidentTimelineEvent",
    "LiveConnectionSlot",
    "Member",
    "MemberInvitation",
    "MemberRoleGrant",
    "OAuthAuthorizationCode",
    "OAuthClient",
    "OAuthConsent",
    "OAuthDeviceCode",
    "OAuthRefreshToken",
    "OAuthSession",
    "Organization",
    "Passkey",
    "Person",
    "PersonalAccessToken",
    "RapidResponseIncident",
    "RateLimitBucket",
    "Region",
    "RevokedToken",
    "SanctuaryCase",
    "ShiftAssignment",
    "SigninSession",
    "SigningKey",
    "Tier",
    "Training",
    "TrustedDocument",
    "WebauthnChallenge",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
]
