"""Accompaniment in GraphQL: requests from legal aid groups, matching and volunteers' assignments."""
