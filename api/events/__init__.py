"""Fan-out of the outbox's events to every instance: a LISTEN connection and in-process subscribers."""
