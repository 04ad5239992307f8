import pytest

from medzen_harness import docs
from medzen_harness.errors import HarnessError

TABLE = "tests.unit.test_docs:_sample_table"


def _sample_table() -> str:
    return "| a |\n|---|\n| 1 |"


def test_render_replaces_only_the_block():
    text = "intro\n<!-- BEGIN generated:x -->\nstale\n<!-- END generated:x -->\noutro\n"
    out = docs.render(text, {"x": TABLE})
    assert out == "intro\n<!-- BEGIN generated:x -->\n| a |\n|---|\n| 1 |\n<!-- END generated:x -->\noutro\n"
    assert docs.render(out, {"x": TABLE}) == out


def test_missing_block_is_an_error():
    with pytest.raises(HarnessError, match="no block for generated table 'x'"):
        docs.render("nothing here", {"x": TABLE})


def test_readme_tables_are_current():
    assert docs.render(docs.README.read_text()) == docs.README.read_text(), "run `medzen-harness docs`"
