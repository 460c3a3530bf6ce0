"""Tests of the GraphQL machinery: execution plans, pagination, statement counts, request limits, safe errors."""
