"""Check that a release tag of the template has its CHANGELOG.md entry.

A release is a tag vX.Y.Z whose version has a `## X.Y.Z` section in
CHANGELOG.md with an `### Upgrading` section (CHANGELOG.md's opening says
what that holds). Prints one line; exit status 0 when the entry is there,
1 when it is not, 2 for a tag that is not vX.Y.Z.

    python3 .ci/check_release.py vX.Y.Z [CHANGELOG.md]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

TAG = re.compile(r"v(?P<version>(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))")


def release_section(changelog: str, version: str) -> str | None:
    """The text of the `## <version>` section (a date may follow), or None."""
    sections = re.split(r"^## ", changelog, flags=re.MULTILINE)[1:]
    for section in sections:
        heading, _, body = section.partition("\n")
        if re.fullmatch(rf"{re.escape(version)}(?:\s.*)?", heading.strip()):
            return body
    return None


def check(tag: str, changelog: Path) -> tuple[int, str]:
    matched = TAG.fullmatch(tag)
    if not matched:
        return 2, f"{tag!r} is not a release tag: releases are vX.Y.Z"
    version = matched["version"]
    try:
        text = changelog.read_text(encoding="utf-8")
    except OSError as error:
        return 1, f"cannot read {changelog}: {error.strerror}"
    body = release_section(text, version)
    if body is None:
        return 1, f"{changelog.name} has no '## {version}' section for {tag}"
    if not re.search(r"^### Upgrading\s*$", body, flags=re.MULTILINE):
        return 1, f"{changelog.name}'s {version} section has no '### Upgrading'"
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
