"""Hand-written mutants: small plausible mistakes in the security rules, applied one at a time.

    python -m tests.mutants.run            # every mutant (minutes: each runs its tests)
    python -m tests.mutants.run -k burn    # those whose name contains "burn"

Each mutant replaces one exact snippet of one source file, runs the tests that should notice, and restores
the file (also on Ctrl-C). A mutant is *killed* when those tests fail. The kill rate is printed; a survivor
is a mistake the suite would let through. Run it on a clean worktree: it edits files in place.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIFECYCLE_TESTS = ("tests/proofs/test_lifecycles.py",)
PERMISSION_TESTS = ("tests/proofs/test_mutation_oracle.py", "tests/proofs/test_mutation_permissions.py")
AUDIT_TESTS = ("tests/proofs/test_audit_combined_paths.py", "tests/engine/test_read_only_requests.py")


@dataclass(frozen=True)
class Mutant:
    """One mistake: ``before`` (found exactly once in ``path``) becomes ``after``; ``tests`` should notice."""

    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


def _lifecycle(name: str, before: str, after: str) -> Mutant:
    return Mutant(name, "api/services/shared/lifecycles.py", before, after, LIFECYCLE_TESTS)


def _permission(name: str, before: str, after: str, *tests: str) -> Mutant:
    return Mutant(name, "api/auth/permissions.py", before, after, (*PERMISSION_TESTS, *tests))


MUTANTS = (
    _lifecycle("case closes from IN_SANCTUARY", "CLOSE: ({_C.EXITED}, _C.CLOSED)",
               "CLOSE: ({_C.EXITED, _C.IN_SANCTUARY}, _C.CLOSED)"),
    _lifecycle("case declined in sanctuary", "DECLINE: ({_C.INQUIRY, _C.DISCERNMENT, _C.PREPARING}",
               "DECLINE: ({_C.INQUIRY, _C.DISCERNMENT, _C.PREPARING, _C.IN_SANCTUARY}"),
    _lifecycle("case enters sanctuary from discernment", "ENTER_SANCTUARY: ({_C.PREPARING}",
               "ENTER_SANCTUARY: ({_C.PREPARING, _C.DISCERNMENT}"),
    _lifecycle("confirmed request expires", "EXPIRE: ({_R.SUBMITTED, _R.TRIAGED, _R.MATCHING}",
               "EXPIRE: ({_R.SUBMITTED, _R.TRIAGED, _R.MATCHING, _R.CONFIRMED}"),
    _lifecycle("request confirmed from triage", "CONFIRM: ({_R.MATCHING}", "CONFIRM: ({_R.MATCHING, _R.TRIAGED}"),
    _lifecycle("declined volunteer accepts", "ACCEPT: ({_A.INVITED}", "ACCEPT: ({_A.INVITED, _A.DECLINED}"),
    _lifecycle("unverified report confirmed", "CONFIRM: ({_V.VERIFYING}", "CONFIRM: ({_V.VERIFYING, _V.UNVERIFIED}"),
    _lifecycle("active incident closes", "CLOSE: ({_I.OPEN, _I.STABLE}", "CLOSE: ({_I.OPEN, _I.ACTIVE, _I.STABLE}"),
    _lifecycle("planned action held", "HOLD: ({_D.ANNOUNCED}", "HOLD: ({_D.ANNOUNCED, _D.PLANNED}"),
    _lifecycle("missed shift completed", "COMPLETE: ({_S.FILLED}", "COMPLETE: ({_S.FILLED, _S.MISSED}"),
    _lifecycle("attended volunteer withdraws", "WITHDRAW: ({_SA.SIGNED_UP}", "WITHDRAW: ({_SA.SIGNED_UP, _SA.ATTENDED}"),
    _permission("responder broadcasts", '"incidentBroadcast": _DISPATCH', '"incidentBroadcast": _RESPONDERS'),
    _permission("volunteer moves cases", '"sanctuaryCaseTransition": _SANCTUARY',
                '"sanctuaryCaseTransition": _SANCTUARY | _VOLUNTEER'),
    _permission("org admin creates regions", '"regionCreate": _HUB', '"regionCreate": _HUB | _ORG_ADMIN'),
    _permission("accompanier triages", '"accompanimentRequestTriage": _MATCHER',
                '"accompanimentRequestTriage": _MATCHER | _ACCOMPANIER'),
    _permission("coordinator no longer completes shifts", '"hospitalityShiftComplete": _SANCTUARY | _VOLUNTEER',
                '"hospitalityShiftComplete": _VOLUNTEER'),
    _permission("an app burns", '        "sanctuaryCaseBurn",\n    }', "    }"),
    _permission("write scope ignored", 'return "write" in viewer.scopes and bool(', "return True and bool(",
                "tests/network/test_mutations_credentials.py"),
    Mutant("T2 reads not audited", "api/schema/engine/fields.py", "if tier >= Tier.T2:  # audited",
           "if tier >= Tier.T3:  # audited", AUDIT_TESTS),
    Mutant("failed mutation reported as allowed", "api/schema/engine/view.py", "record.outcome = AuditOutcome.FAILED",
           "record.outcome = AuditOutcome.ALLOWED", (*AUDIT_TESTS, "tests/network/test_mutations_credentials.py")),
    Mutant("reads lost after an unexpected error", "api/schema/engine/view.py", "    await record_reads(\n",
           "    if not ctx.unexpected_error:\n        await record_reads(\n", AUDIT_TESTS),
    Mutant("sealed values not bound to their record", "api/crypto.py", "org_id.bytes, record_id.bytes, column",
           "org_id.bytes, column", ("tests/protection/test_crypto.py",)),
    Mutant("reporter contact kept a day longer", "api/services/protection/retention.py",
           "cutoff = now - timedelta(hours=settings.retention_reporter_contact_hours)",
           "cutoff = now - timedelta(hours=settings.retention_reporter_contact_hours + 24)", ("tests/protection/test_retention.py",)),
    Mutant("declined cases never purged", "api/services/protection/retention.py",
           "and_(case.closed_at.is_(None), case.status == SanctuaryCaseStatus.DECLINED, case.updated_at <= cutoff)",
           "and_(case.closed_at.is_(None), case.status == SanctuaryCaseStatus.CLOSED, case.updated_at <= cutoff)",
           ("tests/protection/test_retention.py",)),
    Mutant("dispatcher roles in congregations", "api/auth/roles.py",
           "Role.RR_DISPATCHER: frozenset({K.RAPID_RESPONSE, K.NETWORK_HUB})",
           "Role.RR_DISPATCHER: frozenset({K.RAPID_RESPONSE, K.NETWORK_HUB, K.CONGREGATION})",
           ("tests/network/test_workflow_admin_members.py", "tests/network/test_oauth.py")),
)  # fmt: skip


def _killed(mutant: Mutant) -> bool:
    """Apply the mutant, run its tests, restore the file; whether the tests failed."""
    path = ROOT / mutant.path
    original = path.read_text()
    assert original.count(mutant.before) == 1, f"{mutant.name}: the snippet is not found exactly once"
    path.write_text(original.replace(mutant.before, mutant.after))
    try:
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)  # noqa: S603 (our own pytest)
    finally:
        path.write_text(original)
    assert result.returncode in (0, 1), f"{mutant.name}: pytest ended with {result.returncode}"
    return result.returncode == 1


def main() -> None:
    """Run the mutants (those matching -k) and print each verdict and the kill rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    chosen = [m for m in MUTANTS if parser.parse_args().k in m.name]
    survivors = []
    for mutant in chosen:
        started = time.perf_counter()
        killed = _killed(mutant)
        print(f"{'killed  ' if killed else 'SURVIVED'} {mutant.name} ({time.perf_counter() - started:.0f} s)")
        if not killed:
            survivors.append(mutant.name)
    print(f"kill rate: {len(chosen) - len(survivors)}/{len(chosen)}; survivors: {survivors or 'none'}")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
