"""docs/releasing.md for every kind of maintainer: alone, a team, a private
repository; the repository, the tag ruleset, pre-release tags, release notes,
and what to do when a release fails. Each render has each section, naming
GitHub's and PyPI's settings as they are spelt, and its commands are the
ones that work (the ruleset is valid JSON of GitHub's REST shape; the tag
spellings are the ones the build accepts and refuses)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from packaging.version import Version

from conftest import BASE_ANSWERS, COMBINATIONS, REPO, Renders, combination_id, run

# Each section, and what it must name there.
SECTIONS: dict[str, tuple[str, ...]] = {
    "## Once, before the first release": (
        "*Required reviewers*",
        "untick *Allow administrators to bypass configured protection rules*",
        "*Deployment branches and tags*",
        "*Selected branches and tags*",
        "the tag rule `v*`",
        "*Private vulnerability reporting*",
    ),
    "### Creating the repository": (),
    "### The tag ruleset": (
        "*Restrict creations*",
        "*Restrict updates*",
        "*Restrict deletions*",
        "*Repository admin*",
    ),
    "## Who approves a release": ("*Required reviewers*", "*Prevent self-review*"),
    "### Alone": (
        "leave *Prevent self-review* off",
        "*Allow administrators to bypass configured protection rules* off",
        "What a reviewer approves",
    ),
    "### A team": (
        "turn *Prevent self-review* on",
        "*Allow administrators to bypass configured protection rules* off",
    ),
    "### A private repository": (
        "**GitHub Free:** no environments",
        "**GitHub Pro or GitHub Team:**",
        "but no *Required reviewers*",
        "**GitHub Enterprise:**",
    ),
    "## Each release": (),
    "### Pre-releases and the tag's spelling": ("`v1.0.0rc1`",),
    "### Release notes": ("*Generate release notes*", "--generate-notes"),
    "## When a release fails": (),
    "### `invalid-publisher`: PyPI refuses the token": (
        "`job_workflow_ref`",
        "*Settings > Publishing*",
    ),
    "### The environment is missing, or refuses the tag": (
        "*Deployment branches and tags*",
    ),
    "### Some files were uploaded, then the job failed": (
        "*Re-run failed jobs*",
        "same bytes",
        "new version",
    ),
    "### A re-run asks for approval again": ("approve it",),
    "### A release must be withdrawn: yanking": ("*Options > Yank*", "PEP 592"),
}
ADOPTED = {"adopt_existing": True}


def sections(doc: str) -> dict[str, str]:
    """Each heading of SECTIONS -> its text, up to the next heading."""
    found = {}
    for heading in SECTIONS:
        assert doc.count(f"\n{heading}\n") == 1, heading
        body = doc.split(f"\n{heading}\n", 1)[1]
        found[heading] = re.split(r"^#{2,3} ", body, maxsplit=1, flags=re.M)[0]
    return found


@pytest.fixture(
    params=[*COMBINATIONS, ADOPTED],
    ids=lambda answers: "adopted" if answers == ADOPTED else combination_id(answers),
)
def doc(request: pytest.FixtureRequest, renders: Renders) -> str:
    return (renders(request.param) / "docs/releasing.md").read_text(encoding="utf-8")


def test_every_section_names_the_real_settings(doc: str) -> None:
    for heading, text in sections(doc).items():
        for setting in SECTIONS[heading]:
            # As a reader sees it: the line breaks are the source's.
            assert " ".join(setting.split()) in " ".join(text.split()), heading


def test_the_tag_ruleset_command_creates_a_tag_ruleset(doc: str) -> None:
    ruleset = sections(doc)["### The tag ruleset"]
    command = re.search(
        r"^gh api --method POST (\S+) --input - <<'EOF'\n(.*?)^EOF$",
        ruleset,
        flags=re.M | re.S,
    )
    assert command, ruleset
    assert command[1] == f"repos/{BASE_ANSWERS['github_repository']}/rulesets"
    body = json.loads(command[2])
    assert body["target"] == "tag"
    assert body["enforcement"] == "active"
    assert body["conditions"] == {
        "ref_name": {"include": ["refs/tags/v*"], "exclude": []}
    }
    assert [r["type"] for r in body["rules"]] == ["creation", "update", "deletion"]
    # Repository admin, the role the text names; nobody else may create a tag.
    assert body["bypass_actors"] == [
        {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}
    ]


def test_tag_spellings_are_the_ones_the_build_accepts_and_refuses(
    doc: str, tmp_path: Path
) -> None:
    text = sections(doc)["### Pre-releases and the tag's spelling"]
    accepted = re.findall(r"(?:is|an alpha|a beta|a\s+post-release) `v([^`]+)`", text)
    assert accepted == ["1.0.0rc1", "1.0.0a1", "1.0.0b1", "1.0.0.post1"]
    for version in accepted:
        assert str(Version(version)) == version  # what the file names spell
    refused = re.search(r"Tags such as (.*?) name the same version", text, re.S)
    assert refused
    for tag in re.findall(r"`v([^`]+)`", refused[1]):
        assert str(Version(tag)) != tag, tag
    # The release jobs' first step takes each accepted tag, and refuses each
    # other spelling in the words the doc quotes.
    quoted = re.search(r'stops\s+with "([^"]+)"', text)
    assert quoted
    script = REPO / "template/.github/scripts/release-version.sh"
    for tag in [*accepted, *re.findall(r"`v([^`]+)`", refused[1])]:
        read = run(
            "bash", script, cwd=tmp_path,
            env={"GITHUB_REF": f"refs/tags/v{tag}", "GITHUB_OUTPUT": os.devnull},
            check=False,
        )  # fmt: skip
        if tag in accepted:
            assert read.returncode == 0, read.stdout
        else:
            assert read.returncode == 1, tag
            assert " ".join(quoted[1].split()) in read.stdout, read.stdout


def test_creating_the_repository_pushes_the_first_commit(renders: Renders) -> None:
    copied = sections((renders() / "docs/releasing.md").read_text())
    repository = BASE_ANSWERS["github_repository"]
    text = copied["### Creating the repository"]
    assert (
        f"gh repo create {repository} --public --source . --remote origin --push"
        in (text)
    )
    assert "git push -u origin main" in text
    adopted = sections((renders(ADOPTED) / "docs/releasing.md").read_text())
    assert "gh repo create" not in adopted["### Creating the repository"]
