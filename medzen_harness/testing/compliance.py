"""pytest fixtures for compliance (loaded by the root conftest)."""
