"""Hand-written mutants: small plausible mistakes in the security rules, applied one at a time.

    python -m tests.mutants.run            # every mutant (20-40 minutes: each runs its tests)
    python -m tests.mutants.run -k burn    # those whose area or name contains "burn" (-k again: or)
    python -m tests.mutants.run --check    # only check that every mutant applies (no tests run)

Each mutant replaces one exact snippet of one source file, runs the tests that should notice, and restores
the file (also on Ctrl-C). A mutant is *killed* when those tests fail. The kill rate is printed per area and
in total, with the run time; a survivor is a mistake the suite would let through, unless it is listed in
``EQUIVALENT`` (it cannot change behaviour, with the reason). Run it on a clean worktree: it edits files in
place. The run fails when a survivor is not explained or fewer than 95 % of the mutants are killed.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.mutants import access, live, oauth, protection, webhooks
from tests.mutants.base import Mutant

ROOT = Path(__file__).resolve().parents[2]
MUTANTS: tuple[Mutant, ...] = (*access.MUTANTS, *protection.MUTANTS, *oauth.MUTANTS, *webhooks.MUTANTS, *live.MUTANTS)
REQUIRED_RATE = 0.95

# Survivors kept on purpose: the mistake cannot change what anyone sees or may do (name: why).
EQUIVALENT: dict[str, str] = {
    "an inactive or demoted admin confirms": "the confirming viewer was authenticated as an active member in this "
    "request and sanctuaryCaseBurn needs ORG_ADMIN (api/auth/permissions.py): the query's active_holders restates it",
    "org admins read the audit log": "audit events are reached only through auditEvents (not a Node), which only the "
    "schemas of AUDITOR holders have (api/auth/reach.py): a viewer without AUDITOR never reaches this rule",
    "an unset tie holds in SQL": "every column a tie without or_null reads is NOT NULL but a shift's supporting "
    "congregation, and a shift without one is readable only to its organization, its volunteers (OWNER, ASSIGNED "
    "hold) and the hub's coordinators (whose grants on shifts hold no STAFFING)",
    "suggestions kept": "not equivalent in wording, in disclosure: validation runs against the viewer's own pruned "
    "schema, so a suggestion names only a field the viewer's introspection shows anyway",
}


def _apply(mutant: Mutant) -> tuple[Path, str]:
    """The file and its original text, after checking the snippet occurs exactly once and the tests exist."""
    path = ROOT / mutant.path
    original = path.read_text()
    assert original.count(mutant.before) == 1, f"{mutant.name}: the snippet is not found exactly once"
    missing = [test for test in mutant.tests if not (ROOT / test).is_file()]
    assert not missing, f"{mutant.name}: no test file {missing}"
    return path, original


def _killed(mutant: Mutant) -> bool:
    """Apply the mutant, run its tests, restore the file; whether the tests failed."""
    path, original = _apply(mutant)
    path.write_text(original.replace(mutant.before, mutant.after))
    try:
        tests = list(dict.fromkeys(mutant.tests))
        # in one process (-n 0): in order, stopping at the first failure (under xdist, failures on two workers at
        # once end the run "interrupted", exit status 2, which says nothing about the mutant)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", *tests]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)  # noqa: S603 (our own pytest)
    finally:
        path.write_text(original)
    assert result.returncode in (0, 1), f"{mutant.name}: pytest ended with {result.returncode}"
    return result.returncode == 1


def _report(chosen: list[Mutant], survivors: list[Mutant], seconds: float) -> bool:
    """Print the kill rate per area and in total; whether the run passes."""
    total, lost = Counter(m.area for m in chosen), Counter(m.area for m in survivors)
    for area in total:
        print(f"  {area:<16} {total[area] - lost[area]:>3}/{total[area]:<3} killed")
    killed = len(chosen) - len(survivors)
    print(f"kill rate: {killed}/{len(chosen)} ({killed / max(len(chosen), 1):.1%}) in {seconds / 60:.1f} min")
    unexplained = [m.name for m in survivors if m.name not in EQUIVALENT]
    for mutant in survivors:
        print(f"  survivor: {mutant.name}: {EQUIVALENT.get(mutant.name, 'NOT EXPLAINED')}")
    return not unexplained and killed >= REQUIRED_RATE * len(chosen)


def main() -> None:
    """Run the mutants (those matching -k) and print each verdict, the kill rate per area and the time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", action="append", default=[], help="only mutants whose area or name contains this")
    parser.add_argument("--check", action="store_true", help="only check that every mutant applies")
    arguments = parser.parse_args()
    assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"
    assert set(EQUIVALENT) <= {m.name for m in MUTANTS}, "an equivalent survivor names no mutant"
    chosen = [m for m in MUTANTS if not arguments.k or any(k in m.name or k in m.area for k in arguments.k)]
    if arguments.check:
        for mutant in chosen:
            _apply(mutant)
        print(f"{len(chosen)} mutants apply")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill restores the file too (the finally)
    survivors = []
    started = time.perf_counter()
    for mutant in chosen:
        began = time.perf_counter()
        killed = _killed(mutant)
        verdict = "killed  " if killed else "SURVIVED"
        print(f"{verdict} [{mutant.area}] {mutant.name} ({time.perf_counter() - began:.0f} s)", flush=True)
        if not killed:
            survivors.append(mutant)
    sys.exit(0 if _report(chosen, survivors, time.perf_counter() - started) else 1)


if __name__ == "__main__":
    main()
