"""Advocacy in GraphQL: public actions, vigils and meetings, and their organizers."""
