"""Latency from African vantage points with Locust (master + one worker per vantage)."""
