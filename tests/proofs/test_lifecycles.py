"""The lifecycle tables themselves: well-formed, and every (state, action) pair as domain.md says.

The expected outcomes come from the hand-written grids of ``tests/proofs/lifecycle_oracle.py``, never from the
tables under test; the GraphQL walks in ``tests/test_workflow_*`` perform the same pairs through the mutations.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest

from api.models.enums import AccompanimentStatus, SanctuaryCaseStatus, Verification
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import (
    ACCOMPANIMENT_REQUEST,
    INCIDENT_VERIFICATION,
    LIFECYCLES,
    SANCTUARY_CASE,
    Lifecycle,
    RequestAction,
    SanctuaryCaseAction,
)
from tests.proofs.lifecycle_oracle import ORACLES, outcome


def test_every_table_has_a_written_oracle_with_the_same_states_and_actions() -> None:
    assert {lifecycle.subject for lifecycle in LIFECYCLES} == set(ORACLES)
    for lifecycle in LIFECYCLES:
        grid = ORACLES[lifecycle.subject]
        assert set(grid) == {state.value for state in lifecycle.states}, lifecycle.subject
        for row in grid.values():
            assert set(row) == {str(action) for action in lifecycle.moves}, lifecycle.subject


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.subject)
def test_every_state_and_action_leads_where_the_written_table_says(lifecycle: Lifecycle[Any]) -> None:
    wrong = []
    for state in lifecycle.states:
        for action in ORACLES[lifecycle.subject][state.value]:
            expected = outcome(ORACLES[lifecycle.subject], state, action)
            actual = lifecycle.move(state, action).value if lifecycle.allows(state, action) else None
            if actual != expected:
                wrong.append(f"{state.value} --{action}--> {actual} (expected {expected})")
    assert wrong == []


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.subject)
def test_every_pair_is_either_a_move_or_an_illegal_transition(lifecycle: Lifecycle[Any]) -> None:
    for state in lifecycle.states:
        for action in lifecycle.moves:
            if lifecycle.allows(state, action):
                assert lifecycle.move(state, action) in lifecycle.states
            else:
                with pytest.raises(UserFacingError) as raised:
                    lifecycle.move(state, action)
                assert raised.value.code == "ILLEGAL_TRANSITION"
                assert raised.value.field is None


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.subject)
def test_moves_never_start_from_a_state_they_do_not_know(lifecycle: Lifecycle[enum.Enum]) -> None:
    for sources, target in lifecycle.moves.values():
        assert sources <= set(lifecycle.states)
        assert target in lifecycle.states


def test_a_case_can_be_declined_only_before_sanctuary() -> None:
    declinable = {s for s in SanctuaryCaseStatus if SANCTUARY_CASE.allows(s, SanctuaryCaseAction.DECLINE)}
    assert declinable == {SanctuaryCaseStatus.INQUIRY, SanctuaryCaseStatus.DISCERNMENT, SanctuaryCaseStatus.PREPARING}


def test_closed_and_declined_cases_are_final() -> None:
    for state in (SanctuaryCaseStatus.CLOSED, SanctuaryCaseStatus.DECLINED):
        assert not any(SANCTUARY_CASE.allows(state, action) for action in SanctuaryCaseAction)


def test_requests_cancel_from_any_open_state_and_expire_only_unmatched() -> None:
    cancellable = {s for s in AccompanimentStatus if ACCOMPANIMENT_REQUEST.allows(s, RequestAction.CANCEL)}
    assert cancellable == {
        AccompanimentStatus.SUBMITTED, AccompanimentStatus.TRIAGED,
        AccompanimentStatus.MATCHING, AccompanimentStatus.CONFIRMED,
    }  # fmt: skip
    assert not ACCOMPANIMENT_REQUEST.allows(AccompanimentStatus.CONFIRMED, RequestAction.EXPIRE)


def test_verification_results_are_final() -> None:
    final = {Verification.CONFIRMED, Verification.FALSE_ALARM, Verification.NOT_ICE, Verification.UNABLE_TO_VERIFY}
    for state in final:
        assert not any(INCIDENT_VERIFICATION.allows(state, action) for action in INCIDENT_VERIFICATION.moves)
