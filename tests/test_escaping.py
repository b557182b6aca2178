"""Any printable free-text answer renders to files that parse back to that text."""

from __future__ import annotations

import ast
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import load_toml, load_yaml, render, working_tree_copy

TEMPLATE = working_tree_copy(Path(tempfile.mkdtemp(prefix="template-")))

printable = st.text(min_size=1, max_size=40).filter(
    lambda s: s.isprintable() and bool(s.strip())
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(description=printable, author=printable.filter(lambda s: "," not in s))
@example(description='say "hi" \\o/ {{ x }} {% y %} # not: a comment', author="O'Brien")
@example(description='ends with a quote"', author="Zoë 🐍 \\")
@example(description='"""triple""" \'\'\'', author="a: b # c")
def test_free_text_round_trips(description: str, author: str) -> None:
    dst = Path(tempfile.mkdtemp(prefix="escaping-"))
    try:
        project = render(
            TEMPLATE,
            dst / "out",
            {"description": description, "author_name": author},
        )
        meta = load_toml(project / "pyproject.toml")["project"]
        assert meta["description"] == description
        assert meta["authors"][0]["name"] == author

        answers = load_yaml(project / ".copier-answers.yml")
        assert answers["description"] == description
        assert answers["author_name"] == author

        init = (project / "src/acme_widget_tools/__init__.py").read_text()
        assert ast.get_docstring(ast.parse(init), clean=False) == description

        for workflow in (project / ".github/workflows").glob("*.yml"):
            assert load_yaml(workflow)["jobs"], workflow.name
    finally:
        shutil.rmtree(dst)
