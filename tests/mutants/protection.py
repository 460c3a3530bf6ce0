"""Mutants of how data is protected: the audit, crypto, retention, request limits, safe errors, NUL, outages."""

from __future__ import annotations

from tests.mutants.base import (
    AUDIT,
    CREDENTIALS,
    CRYPTO,
    CURSORS,
    KEYS,
    LIMITS,
    NUL,
    RETENTION,
    SAFE_ERRORS,
    UNAVAILABLE,
    group,
)

_read = group("audit", "api/schema/engine/fields.py", *AUDIT)
_view = group("audit", "api/schema/engine/view.py", *AUDIT)
_audit = group("audit", "api/services/shared/audit.py", *AUDIT)
AUDIT_MUTANTS = (
    _read("T2 reads not audited", "if tier >= Tier.T2:  # audited", "if tier >= Tier.T3:  # audited"),
    _read("sealed (T3) reads not audited", "        return returned(root, info, value)\n", "        return value\n",
          "tests/network/test_a_number_lookup.py"),
    _read("plain T2 reads not audited", "return returned(root, info, getattr(root, name)) if allowed",
          "return getattr(root, name) if allowed"),
    _view("failed mutation reported as allowed", "record.outcome = AuditOutcome.FAILED",
          "record.outcome = AuditOutcome.ALLOWED", *CREDENTIALS),
    _view("reads lost after an unexpected error", "    await record_reads(\n",
          "    if not ctx.unexpected_error:\n        await record_reads(\n"),
    _view("a refused mutation not audited", "if ctx.attempted_mutation and not ctx.mutations:",
          "if ctx.attempted_mutation and ctx.mutations:", *CREDENTIALS),
    _audit("mutation events name no field", 'fields=sorted({f"{mutation}.{name}" for name in fields} | {mutation})',
           "fields=[mutation]", *CREDENTIALS, "tests/sanctuary/test_workflow_burn.py"),
    _audit("an app's reads and mutations not attributed to it", '"actor_client_id": viewer.client_id,',
           '"actor_client_id": None,', "tests/network/test_oauth.py", *CREDENTIALS),
    _audit("a read row without the reader's roles", '"roles": viewer.audit_roles,', '"roles": [],'),
    _audit("a read row naming no record", '"record_ids": sorted(record_id for record_id in reads if record_id',
           '"record_ids": sorted(record_id for record_id in () if record_id'),
    _audit("lookups by value not audited", "    if not reads:\n        return\n",
           "    if not any(reads):\n        return\n", "tests/network/test_a_number_lookup.py"),
)  # fmt: skip

_crypto = group("crypto", "api/crypto.py", *CRYPTO)
_ids = group("crypto", "api/schema/engine/ids.py", *CURSORS)
CRYPTO_MUTANTS = (
    _crypto("sealed values not bound to their record", "org_id.bytes, record_id.bytes, column",
            "org_id.bytes, column"),
    _crypto("sealed values not bound to their organization", "[b\"sanctuary-v1\", org_id.bytes, record_id.bytes",
            "[b\"sanctuary-v1\", record_id.bytes"),
    _crypto("sealed values not bound to their column", "record_id.bytes, column.encode()])", "record_id.bytes])"),
    _crypto("blind index keeps punctuation", "if ch.isalnum())", "if not ch.isspace())"),
    _crypto("a retired data key still seals", "DataKey.purpose == purpose, DataKey.active)\n        )\n        if row is None:",
            "DataKey.purpose == purpose)\n        )\n        if row is None:", *KEYS),
    _crypto("data keys unwrapped with the newest KEK whatever wrapped them",
            "kek = next((k for k in self.keks if k.kek_id == row.kek_id), None)", "kek = self.keks[0]", *KEYS),
    _crypto("new data keys wrapped by the oldest KEK",
            "kek_id=self.current.kek_id,\n                wrapped_key=self.current.wrap(raw, key_id),",
            "kek_id=self.keks[-1].kek_id,\n                wrapped_key=self.keks[-1].wrap(raw, key_id),", *KEYS),
    _ids("cursors sealed with the oldest key", "sealed = nonce + keys[0].encrypt(", "sealed = nonce + keys[-1].encrypt("),
    _ids("a cursor of another connection accepted",
         "    if not hmac.compare_digest(tag, _tag(connection)):\n        raise", "    if False:\n        raise"),
    _ids("every connection shares one tag", 'return hashlib.sha256(b"cursor:" + connection.encode())',
         'return hashlib.sha256(b"cursor:")'),
    _ids("cursors of the previous key refused during a rotation", "    for key in keys:  # newest first",
         "    for key in keys[:1]:  # newest first"),
)  # fmt: skip

_retention = group("retention", "api/services/protection/retention.py", *RETENTION)
RETENTION_MUTANTS = (
    _retention("reporter contact kept a day longer",
               "cutoff = now - timedelta(hours=settings.retention_reporter_contact_hours)",
               "cutoff = now - timedelta(hours=settings.retention_reporter_contact_hours + 24)"),
    _retention("an untriaged closed report keeps its contact", "due = func.coalesce(incident.triaged_at, incident.closed_at) <= cutoff",
               "due = incident.triaged_at <= cutoff"),
    _retention("exact locations purged after hours, not days", "timedelta(days=settings.retention_exact_location_days)",
               "timedelta(hours=settings.retention_exact_location_days)"),
    _retention("notes of open requests purged", "due = AccompanimentRequest.closed_at <= cutoff",
               "due = AccompanimentRequest.updated_at <= cutoff"),
    _retention("open cases' details purged", "        case.closed_at <= cutoff,\n", "        case.updated_at <= cutoff,\n"),
    _retention("declined cases never purged",
               "and_(case.closed_at.is_(None), case.status == SanctuaryCaseStatus.DECLINED, case.updated_at <= cutoff)",
               "and_(case.closed_at.is_(None), case.status == SanctuaryCaseStatus.CLOSED, case.updated_at <= cutoff)"),
    _retention("a row with one value left is skipped", "or_(*(getattr(model, name).is_not(None) for name in columns))",
               "and_(*(getattr(model, name).is_not(None) for name in columns))"),
    _retention("only the first batch erased", "        if len(rows) < batch:  # erased rows",
               "        if len(rows) <= batch:  # erased rows"),
    _retention("live revocations forgotten", "due = RevokedToken.expires_at < now", "due = RevokedToken.expires_at > now"),
    _retention("live burn requests forgotten", "due = CaseBurnRequest.expires_at < now", "due = CaseBurnRequest.created_at < now"),
)  # fmt: skip

_body = group("request limits", "api/schema/engine/request_body.py", *LIMITS)
_limits = group("request limits", "api/schema/engine/limits.py", *LIMITS)
_view_limits = group("request limits", "api/schema/engine/view.py", *LIMITS)
LIMIT_MUTANTS = (
    _body("a streamed body counted per chunk", "        size += len(chunk)\n", "        size = len(chunk)\n"),
    _body("a declared length compared by its digits", "int(length) > limit", "len(length) > limit"),
    _body("the document held to the body's limit", "if len(query) > limits.document_chars:", "if len(query) > limits.body_bytes:"),
    _body("directives held to the aliases' limit", "if directive_count(document) > limits.directives:",
          "if directive_count(document) > limits.aliases:"),
    _limits("variables refused only when both too deep and too many",
            "if depth > limits.variables_depth or count > limits.variables_values:",
            "if depth > limits.variables_depth and count > limits.variables_values:"),
    _limits("lists do not nest", "stack.extend((item, depth + 1) for item in current)\n",
            "stack.extend((item, depth) for item in current)\n"),
    _view_limits("errors not capped", "for e in result.errors[:kept]]", "for e in result.errors]"),
)  # fmt: skip

_safe = group("safe errors", "api/schema/engine/safe_errors.py", *SAFE_ERRORS)
SAFE_ERROR_MUTANTS = (
    _safe("suggestions kept", '    message = _SUGGESTION.sub("", message)\n', ""),
    _safe("any wrapped error's message kept", "isinstance(error.original_error, ClientError)",
          "isinstance(error.original_error, Exception)"),
    _safe("a quoted path kept when one part is known", "return bool(parts) and all(part in known for part in parts)",
          "return bool(parts) and any(part in known for part in parts)"),
    _safe("long values compared whole", "return bool(self.long) and any(window in self.long for window in windows)",
          "return bool(self.long) and any(window == self.long for window in windows)"),
    _safe("string literals not collected",
          "    def enter_string_value(self, node: StringValueNode, *_: object) -> None:\n        self.values.append(node.value)",
          "    def enter_string_value(self, node: StringValueNode, *_: object) -> None:\n        pass"),
    _safe("variables' keys not collected", "            yield from (str(key) for key in current)\n", ""),
    _safe("three-character values not recognised", "SHORTEST = 3", "SHORTEST = 4"),
)  # fmt: skip

_nul = group("NUL", "api/services/shared/checks.py", *NUL)
NUL_MUTANTS = (
    _nul("lists not searched for NUL", "elif isinstance(current, list | tuple):", "elif isinstance(current, tuple):"),
    _nul("input objects not searched for NUL", "elif dataclasses.is_dataclass(current) and not isinstance(current, type):",
         "elif isinstance(current, dict):"),
)  # fmt: skip

_db = group("unavailable", "api/db.py", *UNAVAILABLE)
_middleware = group("unavailable", "api/unavailable.py", *UNAVAILABLE)
UNAVAILABLE_MUTANTS = (
    _db("too many connections not unavailable", 'if sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES:',
        'if sqlstate.startswith("08"):'),
    _db("a wrapped outage not recognised", "current.__cause__ or current.__context__, seen + 1", "None, seen + 1"),
    _db("a lost connection not unavailable", "        if isinstance(current, DBAPIError) and current.connection_invalidated:",
        "        if False:"),
    _middleware("an outage on /graphql answered as OAuth", 'if path.startswith("/oauth/"):', 'if path.startswith("/"):'),
    _middleware("no Retry-After", '"Retry-After": str(retry_after_s), ', ""),
)  # fmt: skip

MUTANTS = (
    *AUDIT_MUTANTS,
    *CRYPTO_MUTANTS,
    *RETENTION_MUTANTS,
    *LIMIT_MUTANTS,
    *SAFE_ERROR_MUTANTS,
    *NUL_MUTANTS,
    *UNAVAILABLE_MUTANTS,
)
