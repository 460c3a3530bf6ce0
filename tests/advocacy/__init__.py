"""Tests of advocacy actions."""
