"""pytest fixtures for lab (loaded by the root conftest)."""
