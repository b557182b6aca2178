"""Copier migration, first of all: refuse an answer given to an update before
anything is written.

`copier update -d question=answer` runs the "before" migrations (which may
rewrite .copier-answers.yml and pyproject.toml) and only then asks the new
version's questions, where Copier's validators refuse a bad answer with a
traceback, halfway. This asks them first: the project's answers, carried
forward as hooks/migrate_answers.py will carry them, with the given ones on
top, go through Copier's own questionnaire (a dry run of the new version's
copier.yml, which holds every validator once). A refused answer stops the
update in one line, with the validator's own words, and nothing written.

    python check_answers.py ANSWERS_FILE --template DIR --data JSON
        [--from VERSION] [--to VERSION]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import copier
import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML
from migrate_answers import TABLE, MigrationError, due, load_table, migrate
from migrate_answers import parse_version as version

ANSWERS = ".copier-answers.yml"  # copier.yml's _answers_file


class RefusedError(Exception):
    """A one-line reason the update cannot apply the answers given."""


def carried_answers(answers_file: Path, since: str, until: str) -> dict[str, Any]:
    """The recorded answers, carried forward to the new version."""
    try:
        recorded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
        if not isinstance(recorded, dict):
            raise RefusedError(f"{answers_file} is not a mapping of answers")
        return migrate(recorded, due(load_table(TABLE), version(since), version(until)))
    except (OSError, yaml.YAMLError, MigrationError) as error:
        raise RefusedError(f"cannot read {answers_file}: {error}") from None


def ask(template: Path, recorded: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """Copier's questionnaire of `template`'s copier.yml, as an update asks
    it (the recorded answers as the last ones, which a validator drops, and
    the given ones, which it refuses), with no files: a copy of copier.yml
    alone, rendered nowhere."""
    with tempfile.TemporaryDirectory(prefix="check-answers-") as scratch:
        project = Path(scratch, "project")
        project.mkdir()
        last = {k: v for k, v in recorded.items() if not k.startswith("_")}
        (project / ANSWERS).write_text(yaml.safe_dump(last), encoding="utf-8")
        questions = Path(scratch, "template")
        questions.mkdir()
        shutil.copy2(template / "copier.yml", questions / "copier.yml")
        (questions / "template").mkdir()  # copier.yml's _subdirectory, empty
        try:
            copier.run_copy(
                str(questions),
                project,
                data=dict(given),
                defaults=True,
                pretend=True,
                quiet=True,
                skip_tasks=True,
                unsafe=True,
            )
        except (ValueError, TypeError, copier.errors.CopierError) as error:
            raise RefusedError(" ".join(str(error).split())) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Refuse an update's answers before anything is written."
    )
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--data", default="{}", help="the answers given, as JSON")
    parser.add_argument("--from", dest="since", default="")
    parser.add_argument("--to", dest="until", default="")
    options = parser.parse_args(argv)
    try:
        given = json.loads(options.data)
        if not isinstance(given, dict):
            raise RefusedError("--data is not a JSON object")
        if given:  # only these can be refused: Copier drops a recorded one
            recorded = carried_answers(
                options.answers_file, options.since, options.until
            )
            ask(options.template, recorded, given)
    except (RefusedError, json.JSONDecodeError) as error:
        print(f"check_answers: {error} (nothing was changed)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
