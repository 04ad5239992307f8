"""BDD-only hooks: map Gherkin tags to real Allure labels (see evidence/tags.py)."""

import pytest

from medzen_harness.evidence.tags import label_for_tag


def pytest_bdd_apply_tag(tag, function):
    label = label_for_tag(tag)
    if label is None:
        return None  # pytest-bdd's default: the tag becomes a plain marker
    name, value = label
    pytest.mark.allure_label(value, label_type=name)(function)
    return True
