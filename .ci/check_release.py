"""Check that a release tag of the template has its CHANGELOG.md entry.

A release is a tag vX.Y.Z whose version has a `## X.Y.Z` section in
CHANGELOG.md with an `### Upgrading` section (CHANGELOG.md's opening says
what that holds), no longer marked "(unreleased)", and the newest version the
CHANGELOG names: Copier gives new projects the newest tag, so a tag older
than a release main already describes would leave main behind it. Prints one
line; exit status 0 when the entry is there, 1 when it is not, 2 for a tag
that is not vX.Y.Z.

    python3 .ci/check_release.py vX.Y.Z [CHANGELOG.md]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

TAG = re.compile(r"v(?P<version>(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))")


def headings(changelog: str) -> list[tuple[str, str]]:
    """(heading, body) of each `## ` section."""
    sections = re.split(r"^## ", changelog, flags=re.MULTILINE)[1:]
    return [(s.partition("\n")[0].strip(), s.partition("\n")[2]) for s in sections]


def release_section(changelog: str, version: str) -> tuple[str, str] | None:
    """(heading, text) of the `## <version>` section (a date may follow)."""
    for heading, body in headings(changelog):
        if re.fullmatch(rf"{re.escape(version)}(?:\s.*)?", heading):
            return heading, body
    return None


def as_tuple(version: str) -> tuple[int, ...]:
    return tuple(map(int, version.split(".")))


def newer_versions(changelog: str, version: str) -> list[str]:
    """The versions the CHANGELOG names that are newer than `version`."""
    named = [
        m[0] for h, _ in headings(changelog) if (m := re.match(r"\d+\.\d+\.\d+", h))
    ]
    return [v for v in named if as_tuple(v) > as_tuple(version)]


def check(tag: str, changelog: Path) -> tuple[int, str]:
    matched = TAG.fullmatch(tag)
    if not matched:
        return 2, f"{tag!r} is not a release tag: releases are vX.Y.Z"
    version = matched["version"]
    try:
        text = changelog.read_text(encoding="utf-8")
    except OSError as error:
        return 1, f"cannot read {changelog}: {error.strerror}"
    section = release_section(text, version)
    if section is None:
        return 1, f"{changelog.name} has no '## {version}' section for {tag}"
    heading, body = section
    if not re.search(r"^### Upgrading\s*$", body, flags=re.MULTILINE):
        return 1, f"{changelog.name}'s {version} section has no '### Upgrading'"
    if "unreleased" in heading.lower():
        return 1, f"{changelog.name}'s '## {heading}': give it the release's date"
    if newer := newer_versions(text, version):
        return 1, (
            f"{changelog.name} already names {', '.join(newer)}: {tag} would be "
            "older than main, and Copier would give new projects that"
        )
    return 0, f"{tag}: {changelog.name} has its entry, with an Upgrading section"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (1, 2):
        print("usage: check_release.py vX.Y.Z [CHANGELOG.md]", file=sys.stderr)
        return 2
    changelog = Path(args[1]) if len(args) == 2 else Path("CHANGELOG.md")
    code, message = check(args[0], changelog)
    print(message, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
