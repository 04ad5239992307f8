"""pytest fixtures for latency (loaded by the root conftest)."""
