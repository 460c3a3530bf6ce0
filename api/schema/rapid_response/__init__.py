"""Rapid response in GraphQL: incidents, verification, dispatches, timelines and broadcast alerts."""
