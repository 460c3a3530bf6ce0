"""Tests of running the service: the command line, seeding, health probes and database outages."""
