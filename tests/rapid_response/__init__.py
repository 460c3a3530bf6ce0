"""Tests of rapid response: intake, verification, dispatch, broadcasts, detention routing; and their builders."""
