"""Root conftest: fixtures live in the engine's testing plugins so tests/ and steps/ share them."""

pytest_plugins = [
    "medzen_harness.testing.compliance",
    "medzen_harness.testing.aws",
    "medzen_harness.testing.lab",
    "medzen_harness.testing.latency",
]
