"""What every domain's services share: input checks, lifecycle tables, idempotency, the audit trail, unique values and errors."""
