"""Tests of accompaniment: requests, offers, matching rules; and their builders."""
