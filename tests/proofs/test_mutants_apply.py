"""Every hand-written mutant still applies (README, "Mutation testing"): its snippet occurs exactly once in its
file and its test files exist, so a rule that moved or changed cannot leave a mutant silently stale."""

from __future__ import annotations

import pytest

from tests.mutants.base import Mutant
from tests.mutants.run import EQUIVALENT, MUTANTS, ROOT


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_mutant_applies(mutant: Mutant) -> None:
    assert (ROOT / mutant.path).read_text().count(mutant.before) == 1
    assert [test for test in mutant.tests if not (ROOT / test).is_file()] == []


def test_names_are_unique_and_every_kept_survivor_names_a_mutant() -> None:
    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names)
    assert set(EQUIVALENT) <= set(names)
