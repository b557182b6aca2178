"""Copier migration: carry renamed questions and answer values forward.

When a release of the template renames a question or one of its choice
values, it adds an entry to hooks/renamed_answers.yml. `copier update` runs this
script before it renders the new version (the "before" stage of `_migrations`),
so the project's .copier-answers.yml already speaks the new names and
`copier update --defaults` keeps every answer the user gave.

Only the entries of releases after the project's template version, up to the
version being updated to, are applied. The script is idempotent: a renamed
question whose new name is already answered keeps that answer, a value is
renamed only while it still has its old value, and a second run changes
nothing. Migrations run only with `--trust`: Copier refuses them otherwise.

Whatever the versions, it also makes `github_owner` the owner named in
`github_repository` (the owner only seeds the repository's default): the
first release accepted any two, and the new version refuses a chosen owner
the repository does not name.

    python migrate_answers.py ANSWERS_FILE --from VERSION --to VERSION [--table FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML
from packaging.version import InvalidVersion, Version  # so has packaging

TABLE = Path(__file__).with_name("renamed_answers.yml")


class MigrationError(Exception):
    """A one-line reason the answers could not be migrated."""


@dataclass(frozen=True)
class Renames:
    """What one release renamed."""

    version: Version
    questions: Mapping[str, str] = field(default_factory=dict)
    # question (its new name) -> old value -> new value
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _mapping(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise MigrationError(f"{where} must be a mapping with string keys")
    return value


def load_table(path: Path) -> list[Renames]:
    """The renames of every release in `path`, oldest first."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MigrationError(f"cannot read {path}: {error}") from error
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise MigrationError(f"{path} must hold a list of releases")
    table: list[Renames] = []
    for entry in raw:
        entry = _mapping(entry, f"an entry of {path}")
        try:
            version = Version(str(entry["version"]))
        except (KeyError, InvalidVersion) as error:
            raise MigrationError(f"an entry of {path} has no valid version") from error
        values = {
            question: _mapping(renamed, f"values.{question} of {version}")
            for question, renamed in _mapping(
                entry.get("values"), f"values of {version}"
            ).items()
        }
        questions = _mapping(entry.get("questions"), f"questions of {version}")
        table.append(
            Renames(
                version=version,
                questions={str(k): str(v) for k, v in questions.items()},
                values=values,
            )
        )
    return sorted(table, key=lambda renames: renames.version)


def parse_version(text: str | None) -> Version | None:
    """A PEP 440 version, or None when Copier could not tell one."""
    if not text or text == "None":
        return None
    try:
        return Version(text)
    except InvalidVersion as error:
        raise MigrationError(f"{text!r} is not a PEP 440 version") from error


def due(
    table: Sequence[Renames], since: Version | None, until: Version | None
) -> list[Renames]:
    """The releases after `since` up to `until` (all of them when unknown)."""
    return [
        renames
        for renames in table
        if (since is None or renames.version > since)
        and (until is None or renames.version <= until)
    ]


def migrate(answers: Mapping[str, Any], releases: Sequence[Renames]) -> dict[str, Any]:
    """`answers` with every rename of `releases` applied, in order."""
    result = dict(answers)
    for renames in releases:
        for old, new in renames.questions.items():
            if old in result:
                value = result.pop(old)
                result.setdefault(new, value)
        for question, renamed in renames.values.items():
            current = result.get(question)
            if question in result and isinstance(current, (str, int, float, bool)):
                for old_value, new_value in renamed.items():
                    if current == old_value and type(current) is type(old_value):
                        result[question] = new_value
                        break
    repository = result.get("github_repository")
    if isinstance(repository, str) and "/" in repository and "github_owner" in result:
        owner = repository.split("/", 1)[0]
        if str(result["github_owner"]).lower() != owner.lower():
            result["github_owner"] = owner
    return result


def parse_answers(text: str, where: Path | str) -> dict[str, Any]:
    """The answers of a .copier-answers.yml's text (read from `where`), for
    every hook that reads them."""
    try:
        answers = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MigrationError(f"cannot read {where}: {error}") from None
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        raise MigrationError(f"{where} is not a mapping of answers")
    return answers


def migrate_file(answers_file: Path, releases: Sequence[Renames]) -> list[str]:
    """Rewrite the answers file in place; return the answers that changed."""
    try:
        text = answers_file.read_text(encoding="utf-8")
    except OSError as error:
        raise MigrationError(f"cannot read {answers_file}: {error}") from error
    answers = parse_answers(text, answers_file)
    migrated = migrate(answers, releases)
    changed = sorted(k for k in migrated if answers.get(k, ...) != migrated[k])
    if migrated != answers:
        header = "".join(
            line for line in text.splitlines(keepends=True) if line.startswith("#")
        )
        body = yaml.safe_dump(migrated, sort_keys=True, allow_unicode=True)
        answers_file.write_text(header + body, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Carry renamed questions and answer values forward."
    )
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--from", dest="since", help="the project's template version")
    parser.add_argument("--to", dest="until", help="the version updated to")
    parser.add_argument("--table", type=Path, default=TABLE)
    options = parser.parse_args(argv)
    try:
        releases = due(
            load_table(options.table),
            parse_version(options.since),
            parse_version(options.until),
        )
        changed = migrate_file(options.answers_file, releases)
    except MigrationError as error:
        print(f"migrate_answers: {error}", file=sys.stderr)
        return 1
    if changed:
        print(f"migrate_answers: carried forward {', '.join(changed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
