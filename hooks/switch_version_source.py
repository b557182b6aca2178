"""Copier migration: let the tag be the version when version_source becomes `tag`.

A project whose version lives in pyproject.toml has bumped that line since the
template wrote it; with version_source=tag the new template writes
`dynamic = ["version"]` there instead, and the 3-way merge of `copier update`
would stop on the line as a conflict. Run before the update renders the new
version (the "before" stage of `_migrations`, after Copier rendered the old
one), this script sets the line back to what the template wrote and stages it,
so the merge takes the template's line: from now on the tag is the version.
Switching back needs nothing: the template's static version replaces the
dynamic one, and the project sets its next version there. A backend without
dynamic versions (uv_build) never gets here: hooks/check_answers.py, the
migration before this one, refuses the switch with copier.yml's validator.

    python switch_version_source.py ANSWERS_FILE NEW_VERSION_SOURCE
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from migrate_answers import MigrationError, parse_answers

PYPROJECT = Path("pyproject.toml")
# The version every release of the template writes into a new project.
TEMPLATE_VERSION = 'version = "0.1.0"'
# A static version line, as the template writes it.
STATIC_VERSION = re.compile(r'version\s*=\s*"[^"]*"')


class SwitchError(Exception):
    """A one-line reason the project could not be switched."""


def recorded_answers(answers_file: Path) -> dict[str, object]:
    try:
        return parse_answers(answers_file.read_text(encoding="utf-8"), answers_file)
    except OSError as error:
        raise SwitchError(f"cannot read {answers_file}: {error}") from None
    except MigrationError as error:
        raise SwitchError(str(error)) from None


def static_version_line(lines: Sequence[str]) -> int | None:
    """The number of [project]'s `version = "..."` line, if it has one."""
    table = ""
    for number, line in enumerate(lines):
        if line.startswith("["):
            table = line.strip()
        elif table == "[project]" and STATIC_VERSION.fullmatch(line.strip()):
            return number
    return None


def reset_static_version(pyproject: Path) -> bool:
    """Set the static version line back to the template's and stage it."""
    if not pyproject.is_file():  # an adopted package keeps its own
        return False
    lines = pyproject.read_text(encoding="utf-8").splitlines(keepends=True)
    number = static_version_line(lines)
    if number is None or lines[number].strip() == TEMPLATE_VERSION:
        return False
    lines[number] = TEMPLATE_VERSION + "\n"
    pyproject.write_text("".join(lines), encoding="utf-8")
    staged = subprocess.run(
        ["git", "add", "--", str(pyproject)],
        capture_output=True,
        text=True,
        check=False,
    )
    if staged.returncode != 0:
        raise SwitchError(f"git add {pyproject} failed: {staged.stderr.strip()}")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Before an update to version_source=tag, hand the version line "
        "back to the template."
    )
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("version_source", help="the answer the update applies")
    options = parser.parse_args(argv)
    try:
        recorded = recorded_answers(options.answers_file)
        # Projects made before the question had the static version.
        before = str(recorded.get("version_source", "pyproject"))
        switching = options.version_source == "tag" != before
        if switching and reset_static_version(PYPROJECT):
            print(
                "switch_version_source: the version now comes from the tag; "
                "pyproject.toml's static version is removed"
            )
    except SwitchError as error:
        print(f"switch_version_source: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
