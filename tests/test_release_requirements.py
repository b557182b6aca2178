"""The hash-pinned requirements of the release jobs: current, complete, enforced."""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO, Job, Step, copier_config, job_run_steps

sys.path.insert(0, str(REPO / "maintainers"))
import pin_requirements

RELEASE_REQUIREMENTS = ".github/release-requirements"
PINNED = re.compile(r"^(?P<requirement>\S+==\S+)(?: ;[^\\]*)? \\$")
HASH = re.compile(r"^ +--hash=sha256:[0-9a-f]{64}(?: \\)?$")


def requirement_files(project: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted((project / RELEASE_REQUIREMENTS).glob("*.txt"))
    }


def pins(text: str) -> dict[str, list[str]]:
    """name==version -> its sha256 hashes, read as pip reads the file."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if match := PINNED.match(line):
            current = match["requirement"]
            found[current] = []
        elif HASH.match(line):
            found[current].append(line.split("sha256:")[1][:64])
        else:
            assert not line.strip() or line.lstrip().startswith("#"), line
    return found


def test_pins_are_what_resolving_again_gives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Every file, resolved again as of the cutoff, line for line: each
    # version and each hash (the resolution is cached for the session).
    assert pin_requirements.main(["--check"]) == 0, capsys.readouterr().err


def test_check_names_the_altered_line_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(pin_requirements.OUTPUT, tmp_path / "copy")
    lines = (copy / "uv.txt").read_text().splitlines()
    # The last hash of uv's wheels: another platform's than this machine's.
    number = max(i for i, line in enumerate(lines) if HASH.match(line))
    original = lines[number].strip()
    lines[number] = re.sub(r"[0-9a-f]{64}", "0" * 64, lines[number])
    (copy / "uv.txt").write_text("\n".join(lines) + "\n")
    assert pin_requirements.main(["--check", "--dir", str(copy)]) == 1
    assert capsys.readouterr().err == (
        f"pin_requirements: {copy / 'uv.txt'}:{number + 1}: "
        f"{lines[number].strip()!r}, expected {original!r} "
        f"(fix: `{pin_requirements.COMMAND}`)\n"
    )


def test_declared_versions_are_the_pinned_versions(renders: Any) -> None:
    tools = copier_config()["tool_versions"]["default"]
    for answers in (
        {},
        {"build_backend": "hatchling"},
        {"build_backend": "setuptools"},
    ):
        files = requirement_files(renders(answers))
        pinned = {
            name: {Requirement(r).name: r for r in pins(text.decode())}
            for name, text in files.items()
        }
        assert pinned["uv.txt"] == {"uv": f"uv=={tools['uv']}"}
        assert pinned["twine.txt"]["twine"] == f"twine=={tools['twine']}"
        attestations = f"pypi-attestations=={tools['pypi-attestations']}"
        assert pinned["verify.txt"]["pypi-attestations"] == attestations
        backend = answers.get("build_backend", "uv_build")
        declared = Requirement(copier_config()["build_requires"]["default"][backend])
        (pin,) = [
            Requirement(r)
            for r in pinned["build-constraints.txt"].values()
            if canonicalize_name(Requirement(r).name)
            == canonicalize_name(declared.name)
        ]
        assert declared.specifier.contains(str(pin.specifier).removeprefix("=="))


def test_every_line_is_pinned_with_a_hash_and_no_address(renders: Any) -> None:
    for name, text in requirement_files(renders()).items():
        decoded = text.decode()
        assert "://" not in decoded, f"{name} records an address"
        found = pins(decoded)
        assert found, name
        for requirement, hashes in found.items():
            assert hashes, f"{name}: {requirement} has no sha256"


def test_two_projects_share_the_same_pin_files(renders: Any) -> None:
    one = renders()
    other = renders(
        {
            "distribution_name": "Another.Thing",
            "github_repository": "someone-else/thing",
            "environment": "release",
            "publishing_tool": "uv",
            "release_trigger": "tag",
            "python_floor": "3.13",
        }
    )
    assert requirement_files(one) == requirement_files(other)
    assert (one / ".github/scripts/check-dist.sh").read_bytes() == (
        other / ".github/scripts/check-dist.sh"
    ).read_bytes()


def install_step(project: Path, job: str) -> Any:
    (step,) = [
        s
        for s in job_run_steps(project / ".github/workflows/publish.yml", job)
        if s.name.startswith("Install ")
    ]
    return step


def tamper(path: Path, scratch: Path) -> str:
    """Alter, in a requirements file, the one hash the install will check on
    this machine: that of the first package's file for this platform. Return
    the package's name."""
    text = path.read_text()
    first = next(iter(pins(text)))
    dest = scratch / "download"
    dest.mkdir(parents=True)
    download = Step(
        "download",
        "python3 -m pip download --quiet --disable-pip-version-check --no-deps "
        f"--only-binary=:all: --dest . '{first}'",
        {},
    )
    done = Job(dest, scratch / "temp", "v0.1.0").run(download)
    assert done.returncode == 0, done.stderr
    (downloaded,) = dest.iterdir()
    digest = hashlib.sha256(downloaded.read_bytes()).hexdigest()
    assert digest in text, f"{downloaded.name} is not among {first}'s hashes"
    altered = ("0" if digest[0] != "0" else "1") + digest[1:]
    path.write_text(text.replace(digest, altered))
    return Requirement(first).name


@pytest.fixture(scope="module")
def shipped(renders: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uv flow's .github folder, whose publish job's tools install as
    shipped (the control of the test below, run once)."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(renders({"publishing_tool": "uv"}) / ".github", root / ".github")
    installed = Job(root, root / "runner", "v0.1.0").run(install_step(root, "publish"))
    assert installed.returncode == 0, installed.stderr
    assert (root / "runner/release-tools/bin/pypi-attestations").is_file()
    return root / ".github"


@pytest.mark.slow
@pytest.mark.parametrize("pinned", ["uv.txt", "verify.txt"])
def test_install_with_one_hash_altered_is_refused(
    shipped: Path, tmp_path: Path, pinned: str
) -> None:
    workdir = tmp_path / "checkout"
    shutil.copytree(shipped, workdir / ".github")
    step = install_step(workdir, "publish")

    package = tamper(workdir / RELEASE_REQUIREMENTS / pinned, tmp_path / "pip")
    refused = Job(workdir, tmp_path / "again", "v0.1.0").run(step)
    assert refused.returncode != 0
    said = (refused.stdout + refused.stderr).lower()
    assert "hash" in said and package.lower() in said, said
    assert not (tmp_path / "again/release-tools/bin/pypi-attestations").exists()
