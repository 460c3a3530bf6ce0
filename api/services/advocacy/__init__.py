"""Advocacy: planning, announcing and holding actions, and linking consenting sanctuary cases."""
