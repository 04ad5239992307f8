"""pytest fixtures for aws (loaded by the root conftest)."""
