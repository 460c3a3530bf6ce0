"""Every lifecycle of the domain as a table of allowed moves: the one place transitions are decided.

A move is ``action: (states it may start from, state it leads to)``. Services ask
:meth:`Lifecycle.move` for the next state; anything not in the table is an illegal transition,
reported as the ``ILLEGAL_TRANSITION`` user error and changing nothing. ``tests/proofs/test_lifecycles.py``
walks every (state, action) pair of every table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from api.models.enums import (
    AccompanimentStatus,
    AdvocacyStatus,
    AssignmentStatus,
    IncidentStatus,
    SanctuaryCaseStatus,
    ShiftAssignmentStatus,
    ShiftStatus,
    Verification,
)
from api.services.shared.errors import UserFacingError

State = TypeVar("State", bound=enum.Enum)


class SanctuaryCaseAction(enum.StrEnum):
    BEGIN_DISCERNMENT = "BEGIN_DISCERNMENT"
    BEGIN_PREPARING = "BEGIN_PREPARING"
    ENTER_SANCTUARY = "ENTER_SANCTUARY"
    EXIT = "EXIT"
    CLOSE = "CLOSE"
    DECLINE = "DECLINE"


class ShiftAction(enum.StrEnum):
    FILL = "FILL"  # enough volunteers signed up (automatic)
    REOPEN = "REOPEN"  # a volunteer withdrew below the need (automatic)
    COMPLETE = "COMPLETE"
    MISS = "MISS"


class ShiftSignupAction(enum.StrEnum):
    SIGN_UP_AGAIN = "SIGN_UP_AGAIN"  # a volunteer who withdrew signs up again
    WITHDRAW = "WITHDRAW"
    ATTEND = "ATTEND"
    MISS = "MISS"


class RequestAction(enum.StrEnum):
    TRIAGE = "TRIAGE"
    OFFER = "OFFER"
    CONFIRM = "CONFIRM"
    COMPLETE = "COMPLETE"
    CANCEL = "CANCEL"
    EXPIRE = "EXPIRE"  # the appointment passed unmatched (automatic)
    REOPEN = "REOPEN"  # the last accepted volunteer of a confirmed request declined (automatic)


class AssignmentAction(enum.StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    COMPLETE = "COMPLETE"
    NO_SHOW = "NO_SHOW"


class VerificationAction(enum.StrEnum):
    START = "START"
    CONFIRM = "CONFIRM"
    FALSE_ALARM = "FALSE_ALARM"
    NOT_ICE = "NOT_ICE"
    UNABLE_TO_VERIFY = "UNABLE_TO_VERIFY"


class IncidentAction(enum.StrEnum):
    ACTIVATE = "ACTIVATE"
    STABILIZE = "STABILIZE"
    CLOSE = "CLOSE"


class AdvocacyActionStep(enum.StrEnum):
    ANNOUNCE = "ANNOUNCE"
    HOLD = "HOLD"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Lifecycle(Generic[State]):
    """The allowed moves of one kind of record."""

    subject: str
    states: type[State]
    moves: Mapping[str, tuple[frozenset[State], State]]

    def allows(self, state: State, action: str) -> bool:
        """Whether ``action`` may be taken from ``state``."""
        move = self.moves.get(action)
        return move is not None and state in move[0]

    def move(self, state: State, action: str) -> State:
        """The state ``action`` leads to from ``state``; an ILLEGAL_TRANSITION user error if it may not."""
        if not self.allows(state, action):
            raise UserFacingError(
                "ILLEGAL_TRANSITION",
                f"A {self.subject} in state {state.value} cannot {action.lower().replace('_', ' ')}.",
            )
        return self.moves[action][1]


def _table(subject: str, states: type[State], moves: dict[str, tuple[set[State], State]]) -> Lifecycle[State]:
    frozen = {action: (frozenset(sources), target) for action, (sources, target) in moves.items()}
    return Lifecycle(subject, states, MappingProxyType(frozen))


_C = SanctuaryCaseStatus
SANCTUARY_CASE = _table(
    "sanctuary case",
    _C,
    {
        SanctuaryCaseAction.BEGIN_DISCERNMENT: ({_C.INQUIRY}, _C.DISCERNMENT),
        SanctuaryCaseAction.BEGIN_PREPARING: ({_C.DISCERNMENT}, _C.PREPARING),
        SanctuaryCaseAction.ENTER_SANCTUARY: ({_C.PREPARING}, _C.IN_SANCTUARY),
        SanctuaryCaseAction.EXIT: ({_C.IN_SANCTUARY}, _C.EXITED),
        SanctuaryCaseAction.CLOSE: ({_C.EXITED}, _C.CLOSED),
        SanctuaryCaseAction.DECLINE: ({_C.INQUIRY, _C.DISCERNMENT, _C.PREPARING}, _C.DECLINED),
    },
)
# states in which a case can still take supporters, shifts, consent changes
SANCTUARY_CASE_OPEN = frozenset({_C.INQUIRY, _C.DISCERNMENT, _C.PREPARING, _C.IN_SANCTUARY})

_S = ShiftStatus
HOSPITALITY_SHIFT = _table(
    "hospitality shift",
    _S,
    {
        ShiftAction.FILL: ({_S.OPEN}, _S.FILLED),
        ShiftAction.REOPEN: ({_S.FILLED}, _S.OPEN),
        ShiftAction.COMPLETE: ({_S.FILLED}, _S.COMPLETED),
        ShiftAction.MISS: ({_S.OPEN, _S.FILLED}, _S.MISSED),
    },
)

_SA = ShiftAssignmentStatus
SHIFT_SIGNUP = _table(
    "shift sign-up",
    _SA,
    {
        ShiftSignupAction.SIGN_UP_AGAIN: ({_SA.WITHDRAWN}, _SA.SIGNED_UP),
        ShiftSignupAction.WITHDRAW: ({_SA.SIGNED_UP}, _SA.WITHDRAWN),
        ShiftSignupAction.ATTEND: ({_SA.SIGNED_UP}, _SA.ATTENDED),
        ShiftSignupAction.MISS: ({_SA.SIGNED_UP}, _SA.ABSENT),
    },
)

_R = AccompanimentStatus
ACCOMPANIMENT_OPEN = frozenset({_R.SUBMITTED, _R.TRIAGED, _R.MATCHING, _R.CONFIRMED})
# states in which invited volunteers may still accept or decline
ACCOMPANIMENT_ANSWERABLE = frozenset({_R.MATCHING, _R.CONFIRMED})
ACCOMPANIMENT_REQUEST = _table(
    "accompaniment request",
    _R,
    {
        RequestAction.TRIAGE: ({_R.SUBMITTED}, _R.TRIAGED),
        RequestAction.OFFER: ({_R.TRIAGED, _R.MATCHING}, _R.MATCHING),
        RequestAction.CONFIRM: ({_R.MATCHING}, _R.CONFIRMED),
        RequestAction.COMPLETE: ({_R.CONFIRMED}, _R.COMPLETED),
        RequestAction.CANCEL: (set(ACCOMPANIMENT_OPEN), _R.CANCELLED),
        RequestAction.EXPIRE: ({_R.SUBMITTED, _R.TRIAGED, _R.MATCHING}, _R.UNFILLED),
        RequestAction.REOPEN: ({_R.CONFIRMED}, _R.MATCHING),
    },
)

_A = AssignmentStatus
ACCOMPANIMENT_ASSIGNMENT = _table(
    "accompaniment assignment",
    _A,
    {
        AssignmentAction.ACCEPT: ({_A.INVITED}, _A.ACCEPTED),
        AssignmentAction.DECLINE: ({_A.INVITED, _A.ACCEPTED}, _A.DECLINED),
        AssignmentAction.COMPLETE: ({_A.ACCEPTED}, _A.COMPLETED),
        AssignmentAction.NO_SHOW: ({_A.ACCEPTED}, _A.NO_SHOW),
    },
)

_V = Verification
INCIDENT_VERIFICATION = _table(
    "incident verification",
    _V,
    {
        VerificationAction.START: ({_V.UNVERIFIED}, _V.VERIFYING),
        VerificationAction.CONFIRM: ({_V.VERIFYING}, _V.CONFIRMED),
        VerificationAction.FALSE_ALARM: ({_V.VERIFYING}, _V.FALSE_ALARM),
        VerificationAction.NOT_ICE: ({_V.VERIFYING}, _V.NOT_ICE),
        VerificationAction.UNABLE_TO_VERIFY: ({_V.VERIFYING}, _V.UNABLE_TO_VERIFY),
    },
)

_I = IncidentStatus
INCIDENT = _table(
    "incident",
    _I,
    {
        IncidentAction.ACTIVATE: ({_I.OPEN}, _I.ACTIVE),
        IncidentAction.STABILIZE: ({_I.ACTIVE}, _I.STABLE),
        IncidentAction.CLOSE: ({_I.OPEN, _I.STABLE}, _I.CLOSED),
    },
)

_D = AdvocacyStatus
ADVOCACY_ACTION = _table(
    "advocacy action",
    _D,
    {
        AdvocacyActionStep.ANNOUNCE: ({_D.PLANNED}, _D.ANNOUNCED),
        AdvocacyActionStep.HOLD: ({_D.ANNOUNCED}, _D.HELD),
        AdvocacyActionStep.CANCEL: ({_D.PLANNED, _D.ANNOUNCED}, _D.CANCELLED),
    },
)

LIFECYCLES: tuple[Lifecycle[Any], ...] = (
    SANCTUARY_CASE,
    HOSPITALITY_SHIFT,
    SHIFT_SIGNUP,
    ACCOMPANIMENT_REQUEST,
    ACCOMPANIMENT_ASSIGNMENT,
    INCIDENT_VERIFICATION,
    INCIDENT,
    ADVOCACY_ACTION,
)
