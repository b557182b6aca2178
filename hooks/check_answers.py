"""Copier migrations: an update never takes an answer it refuses, nor
replaces a recorded one without a word.

Before the update (the first "before" migration, when answers are given with
`-d`): Copier runs the "before" migrations, which may rewrite
.copier-answers.yml and pyproject.toml, and only then asks the new version's
questions, where a validator refuses a bad answer with a traceback, halfway.
This asks them first: the project's answers, carried forward as
hooks/migrate_answers.py will carry them, as the last answers, and the given
ones as data, go through Copier's own questionnaire (a dry run of the new
version's copier.yml, which holds every validator once). A refused answer
stops the update in one line, with the validator's own words.

After it (`--after`, which hooks/after_update.py runs first, with
`--defaults`): Copier
drops a recorded answer the new version refuses (`environment: rehearsal`
recorded before 0.3.0 refused it, or `version_source: tag` once `-d
build_backend=uv_build` is given) and, with `--defaults`, takes the default
in its place without a word: another publishing environment, a static
version. This compares the answers Copier recorded with the ones carried
forward; for one replaced that way, it undoes the update (the project was
clean before it: Copier refuses a dirty one) and says why in one line. Only
a refusal imports Copier (the slow part), for the validator's words, so that
an ordinary update does not pay for it.

Either way, nothing is left changed.

    python check_answers.py ANSWERS_FILE --template DIR --data JSON
        [--from VERSION] [--to VERSION] [--after]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML
from migrate_answers import (
    TABLE,
    MigrationError,
    due,
    load_table,
    migrate,
    parse_answers,
)
from migrate_answers import parse_version as version


class RefusedError(Exception):
    """A one-line reason the update cannot apply the answers given."""


def carried_answers(
    answers_file: Path, since: str, until: str, *, at_head: bool = False
) -> dict[str, Any]:
    """The recorded answers (as committed, `at_head`, for after the update),
    carried forward to the new version."""
    try:
        text = (
            git("show", f"HEAD:./{answers_file}")
            if at_head
            else answers_file.read_text(encoding="utf-8")
        )
    except OSError as error:
        raise RefusedError(f"cannot read {answers_file}: {error}") from None
    try:
        recorded = parse_answers(text, answers_file)
        return migrate(recorded, due(load_table(TABLE), version(since), version(until)))
    except MigrationError as error:
        raise RefusedError(str(error)) from None


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(f"git {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def dry_run(
    template: Path,
    answers_file: Path,
    recorded: Mapping[str, Any],
    given: Mapping[str, Any],
) -> None:
    """Copier's questionnaire of `template`'s copier.yml, as an update asks
    it: the recorded answers as the last ones (a validator drops those), the
    given ones as data (a validator refuses those). Nothing is rendered: the
    scratch template is copier.yml alone (should it ever `!include` a file,
    copy that too) and an empty `_subdirectory`."""
    import copier  # here: slow to import, paid only when asking

    with tempfile.TemporaryDirectory(prefix="check-answers-") as scratch:
        project = Path(scratch, "project")
        (project / answers_file).parent.mkdir(parents=True, exist_ok=True)
        last = {k: v for k, v in recorded.items() if not k.startswith("_")}
        (project / answers_file).write_text(yaml.safe_dump(last), encoding="utf-8")
        questions = Path(scratch, "template")
        questions.mkdir()
        shutil.copy2(template / "copier.yml", questions / "copier.yml")
        (questions / "template").mkdir()
        try:
            copier.run_copy(
                str(questions),
                project,
                data=dict(given),
                answers_file=answers_file,
                defaults=True,
                pretend=True,
                quiet=True,
                skip_tasks=True,
                unsafe=True,
            )
        except (ValueError, TypeError, copier.errors.CopierError) as error:
            reason = " ".join(str(error).split())
            if not any(name in reason for name in given):  # older Copiers
                named = ", ".join(f"{k}={v}" for k, v in given.items())
                reason = f"{reason} (given: {named})"
            raise RefusedError(reason) from None


def replaced(
    carried: Mapping[str, Any],
    recorded_now: Mapping[str, Any],
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """The carried-forward answers, not given anew, that the update recorded
    otherwise: Copier dropped them as invalid and took their defaults."""
    return {
        key: value
        for key, value in carried.items()
        if key[:1] != "_"
        and key not in given
        and key in recorded_now
        and recorded_now[key] != value
    }


def undo_update() -> None:
    """Put the project back as committed: Copier refused to update it dirty,
    so everything changed since is the update's (ignored files are kept)."""
    git("restore", "--source=HEAD", "--staged", "--worktree", "--", ".")
    git("clean", "--force", "-d", "--quiet", "--", ".")


def refuse_replaced(
    template: Path,
    answers_file: Path,
    carried: Mapping[str, Any],
    given: Mapping[str, Any],
) -> None:
    try:
        now = parse_answers(answers_file.read_text(encoding="utf-8"), answers_file)
    except (OSError, MigrationError) as error:
        raise RefusedError(f"cannot read {answers_file}: {error}") from None
    lost = replaced(carried, now, given)
    if not lost:
        return
    undo_update()
    try:  # the validator's words for the recorded answers, given as data
        dry_run(template, answers_file, carried, {**given, **lost})
        reason = "the new version does not accept it"
    except RefusedError as error:
        reason = str(error)
    named = ", ".join(f"{key}={value}" for key, value in lost.items())
    raise RefusedError(
        f"{reason} (the recorded {named}, which the update would have replaced "
        "by its default: give it anew with -d)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Refuse an update's answers, or its replacing recorded ones."
    )
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--data", default="{}", help="the answers given, as JSON")
    parser.add_argument("--from", dest="since", default="")
    parser.add_argument("--to", dest="until", default="")
    parser.add_argument(
        "--after", action="store_true", help="after the update: undo a replaced one"
    )
    options = parser.parse_args(argv)
    try:
        given = json.loads(options.data)
        if not isinstance(given, dict):
            raise RefusedError("--data is not a JSON object")
        carried = carried_answers(
            options.answers_file, options.since, options.until, at_head=options.after
        )
        if options.after:
            refuse_replaced(options.template, options.answers_file, carried, given)
        elif given:
            dry_run(options.template, options.answers_file, carried, given)
    except (RefusedError, json.JSONDecodeError) as error:
        print(f"check_answers: {error} (nothing was changed)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
