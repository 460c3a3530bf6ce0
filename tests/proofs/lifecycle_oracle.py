"""The lifecycles of /work/shared/domain.md written out by hand: the expected outcome of every (state, action).

An independent oracle for ``api/services/shared/lifecycles.py``: nothing here is computed from that module, so a
move wrongly added to (or dropped from) a table there fails the tests that compare the two
(``tests/proofs/test_lifecycles.py``) and the walks that perform every pair over GraphQL (``tests/test_workflow_*``).
Each grid has one column per action and one row per state; a cell is the state the action leads to, or ``-``
where the action is an illegal transition (``ILLEGAL_TRANSITION``, nothing changes).

Where domain.md leaves a move open, the reading chosen is noted under the grid.
"""

from __future__ import annotations

from collections.abc import Mapping

Grid = Mapping[str, Mapping[str, str | None]]


def _grid(text: str) -> Grid:
    """Parse a grid: a header line of actions, then ``STATE target target ...`` lines (``-``: illegal)."""
    header, *rows = [line.split() for line in text.strip().splitlines()]
    grid: dict[str, dict[str, str | None]] = {}
    for state, *cells in rows:
        assert len(cells) == len(header), f"row {state} has {len(cells)} cells for {len(header)} actions"
        grid[state] = {action: (None if cell == "-" else cell) for action, cell in zip(header, cells, strict=True)}
    return grid


# INQUIRY -> DISCERNMENT -> PREPARING -> IN_SANCTUARY -> EXITED -> CLOSED, or DECLINED before IN_SANCTUARY.
SANCTUARY_CASE = _grid("""
              BEGIN_DISCERNMENT BEGIN_PREPARING ENTER_SANCTUARY EXIT   CLOSE  DECLINE
INQUIRY       DISCERNMENT       -               -               -      -      DECLINED
DISCERNMENT   -                 PREPARING       -               -      -      DECLINED
PREPARING     -                 -               IN_SANCTUARY    -      -      DECLINED
IN_SANCTUARY  -                 -               -               EXITED -      -
EXITED        -                 -               -               -      CLOSED -
CLOSED        -                 -               -               -      -      -
DECLINED      -                 -               -               -      -      -
""")

# OPEN -> FILLED -> COMPLETED | MISSED. FILL/REOPEN follow sign-ups and withdrawals; a shift nobody filled in
# time is MISSED too (reading: "missed" is "not staffed as needed", whether or not it was ever filled).
HOSPITALITY_SHIFT = _grid("""
           FILL   REOPEN COMPLETE  MISS
OPEN       FILLED -      -         MISSED
FILLED     -      OPEN   COMPLETED MISSED
COMPLETED  -      -      -         -
MISSED     -      -      -         -
""")

# A volunteer's place on a shift (not in domain.md's list; the house rules): signed up, withdrawn (and back),
# then attended or absent when the shift is settled.
SHIFT_SIGNUP = _grid("""
           SIGN_UP_AGAIN WITHDRAW  ATTEND   MISS
SIGNED_UP  -             WITHDRAWN ATTENDED ABSENT
WITHDRAWN  SIGNED_UP     -         -        -
ATTENDED   -             -         -        -
ABSENT     -             -         -        -
""")

# SUBMITTED -> TRIAGED -> MATCHING -> CONFIRMED -> COMPLETED; CANCELLED from any open state; UNFILLED when the
# appointment passes unmatched (not once CONFIRMED). Offering more volunteers keeps a request MATCHING; a
# confirmed request whose last accepted volunteer declines goes back to MATCHING (REOPEN, automatic).
ACCOMPANIMENT_REQUEST = _grid("""
           TRIAGE  OFFER    CONFIRM   COMPLETE  CANCEL    EXPIRE   REOPEN
SUBMITTED  TRIAGED -        -         -         CANCELLED UNFILLED -
TRIAGED    -       MATCHING -         -         CANCELLED UNFILLED -
MATCHING   -       MATCHING CONFIRMED -         CANCELLED UNFILLED -
CONFIRMED  -       -        -         COMPLETED CANCELLED -        MATCHING
COMPLETED  -       -        -         -         -         -        -
CANCELLED  -       -        -         -         -         -        -
UNFILLED   -       -        -         -         -         -        -
""")

# INVITED | ACCEPTED | DECLINED | COMPLETED | NO_SHOW: an accompanier accepts or declines an invitation (and may
# withdraw after accepting); only accepted volunteers complete or are reported missing.
ACCOMPANIMENT_ASSIGNMENT = _grid("""
          ACCEPT   DECLINE  COMPLETE  NO_SHOW
INVITED   ACCEPTED DECLINED -         -
ACCEPTED  -        DECLINED COMPLETED NO_SHOW
DECLINED  -        -        -         -
COMPLETED -        -        -         -
NO_SHOW   -        -        -         -
""")

# UNVERIFIED -> VERIFYING -> CONFIRMED | FALSE_ALARM | NOT_ICE | UNABLE_TO_VERIFY; the results are final.
INCIDENT_VERIFICATION = _grid("""
                  START     CONFIRM   FALSE_ALARM NOT_ICE UNABLE_TO_VERIFY
UNVERIFIED        VERIFYING -         -           -       -
VERIFYING         -         CONFIRMED FALSE_ALARM NOT_ICE UNABLE_TO_VERIFY
CONFIRMED         -         -         -           -       -
FALSE_ALARM       -         -         -           -       -
NOT_ICE           -         -         -           -       -
UNABLE_TO_VERIFY  -         -         -           -       -
""")

# OPEN -> ACTIVE -> STABLE -> CLOSED. Most reports are false alarms: an OPEN report nobody was sent to closes
# directly; an ACTIVE incident (responders on their way) is stabilized before it closes.
INCIDENT = _grid("""
        ACTIVATE STABILIZE CLOSE
OPEN    ACTIVE   -         CLOSED
ACTIVE  -        STABLE    -
STABLE  -        -         CLOSED
CLOSED  -        -         -
""")

# PLANNED -> ANNOUNCED -> HELD | CANCELLED; a plan may also be dropped before it is announced.
ADVOCACY_ACTION = _grid("""
           ANNOUNCE  HOLD CANCEL
PLANNED    ANNOUNCED -    CANCELLED
ANNOUNCED  -         HELD CANCELLED
HELD       -         -    -
CANCELLED  -         -    -
""")

ORACLES: Mapping[str, Grid] = {
    "sanctuary case": SANCTUARY_CASE,
    "hospitality shift": HOSPITALITY_SHIFT,
    "shift sign-up": SHIFT_SIGNUP,
    "accompaniment request": ACCOMPANIMENT_REQUEST,
    "accompaniment assignment": ACCOMPANIMENT_ASSIGNMENT,
    "incident verification": INCIDENT_VERIFICATION,
    "incident": INCIDENT,
    "advocacy action": ADVOCACY_ACTION,
}


def outcome(grid: Grid, state: object, action: object) -> str | None:
    """The state ``action`` leads to from ``state`` per the written table, or None if it is illegal."""
    return grid[str(state)][str(action)]


def allowed(grid: Grid, state: object, action: object) -> bool:
    """Whether the written table allows ``action`` from ``state``."""
    return outcome(grid, state, action) is not None


def target(grid: Grid, state: object, action: object) -> str:
    """The state an allowed ``action`` leads to from ``state`` per the written table."""
    result = outcome(grid, state, action)
    assert result is not None, f"{action} is not allowed from {state}"
    return result
