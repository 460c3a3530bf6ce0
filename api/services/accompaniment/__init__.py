"""Accompaniment: requests, triage, offers to trained volunteers, confirmation and completion."""
