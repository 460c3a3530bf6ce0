"""Rapid response: incident intake, verification, dispatch, broadcast, coarse locations and detentions."""
