"""The test suite: real PostgreSQL, real migrations; shared builders and clients here, tests in one folder per domain and the cross-cutting proofs in `proofs`."""
