"""pytest plugins (fixtures) shared by tests/ and steps/; loaded from the root conftest."""
