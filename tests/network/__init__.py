"""Tests of the network's administration, members, credentials, partner apps and sign-in tokens; and their builders."""
