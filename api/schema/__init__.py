"""The GraphQL schema: one folder per activity and one for the network, the machinery apart (`engine`), assembled in `schema.py` and `query.py`."""
