"""Cross-cutting proofs: the access matrix and its history, written-out oracles, the audit, clean logs, the database dump, migrations, the schema contract and the layout."""
