"""A mutant (one small, plausible mistake in one source file) and the test files each area's mutants run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One mistake: ``before`` (found exactly once in ``path``) becomes ``after``; ``tests`` should notice."""

    area: str
    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


def group(area: str, path: str, *tests: str) -> Callable[..., Mutant]:
    """A maker of mutants of one area and file: ``make(name, before, after, *more_tests)``."""

    def make(name: str, before: str, after: str, *more: str) -> Mutant:
        return Mutant(area, name, path, before, after, (*more, *tests))

    return make


# Fast, focused files first: pytest -x stops at the first failure, so a killed mutant rarely runs them all.
CEILING = ("tests/network/test_partner_app_ceiling.py", "tests/network/test_oauth.py")
BURN = ("tests/sanctuary/test_workflow_burn.py",)
CREDENTIALS = ("tests/network/test_mutations_credentials.py",)
HISTORY = (
    "tests/proofs/test_access_edges.py",
    "tests/proofs/test_access_history.py",
    "tests/rapid_response/test_released_responder.py",
    "tests/rapid_response/test_dispatcher_regions.py",
    "tests/rapid_response/test_detention_routing.py",
)
MATRIX = ("tests/proofs/test_access_matrix.py",)
FIELDS = ("tests/proofs/test_field_rule_sql.py", "tests/proofs/test_filter_disclosure.py")
WRITES = ("tests/proofs/test_access_history_writes.py",)
PERMISSIONS = ("tests/proofs/test_mutation_oracle.py", "tests/proofs/test_mutation_permissions.py")
AUDIT = (
    "tests/proofs/test_audit_combined_paths.py",
    "tests/engine/test_read_only_requests.py",
    "tests/proofs/test_multi_role_audit.py",
)
CRYPTO = ("tests/protection/test_crypto.py", "tests/network/test_a_number_lookup.py")
KEYS = ("tests/protection/test_keys.py",)
CURSORS = ("tests/engine/test_pagination.py",)
RETENTION = ("tests/protection/test_retention.py",)
LIMITS = ("tests/engine/test_request_limits.py",)
SAFE_ERRORS = ("tests/engine/test_error_echo.py",)
NUL = ("tests/engine/test_nul_characters.py",)
UNAVAILABLE = ("tests/operations/test_database_outage.py",)
