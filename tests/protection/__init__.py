"""Tests of data protection: envelope encryption, key rotation and re-encryption, retention and its schedule."""
