"""Benchmarks: scripts that print figures about the service; they are not tests."""
