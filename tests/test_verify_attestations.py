"""scripts/verify_attestations.py of a generated project, on real attestations.

The project is rendered for the repository that really signed the fixtures
(trailofbits/pypi-attestations); their workflow is release.yml, so most runs
pass --workflow release.yml. Everything runs offline: Sigstore's trust root is
the one bundled with sigstore (--offline), and release mode talks to an index
served by the test on 127.0.0.1.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from packaging.pylock import Pylock
from packaging.requirements import Requirement
from pypi_simple import PYPI_SIMPLE_ENDPOINT

from conftest import REPO, import_script, run, shared_data, tool
from local_index import JSON_API, FakeIndex, Route

SDIST = "pypi_attestations-0.0.19.tar.gz"
WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
SUFFIX = ".publish.attestation"
REAL = "trailofbits/pypi-attestations"
ANSWERS = {"distribution_name": "pypi-attestations", "github_repository": REAL}
# The fixtures' real workflow, and the trust root bundled with sigstore.
ARGS = ["--workflow", "release.yml", "--offline"]
ODD_IDENTITY = {
    "distribution_name": "Acme.Widget_Tools",
    "github_repository": "Acme-Corp/widget.tools",
    "environment": "Release Env",
}
SIGNED_BY = f"signed by {REAL}, release.yml @ refs/tags/v0.0.19"


# --- The rendered script --------------------------------------------------------


@pytest.fixture(scope="module")
def fixtures() -> Path:
    return shared_data("fixtures/attestations")


@pytest.fixture(scope="module")
def script(renders: Any) -> Path:
    path: Path = renders(ANSWERS) / "scripts" / "verify_attestations.py"
    return path


@pytest.fixture(scope="module")
def verify(script: Path) -> ModuleType:
    """The rendered script, imported as a module."""
    return import_script(script)


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def line(self, name: str) -> str:
        """The one output line about this file."""
        found = [ln for ln in self.out.splitlines() if f" {name}: " in ln]
        assert len(found) == 1, self.out
        return found[0]


@pytest.fixture
def cli(
    verify: ModuleType,
    script: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Outcome]:
    """Run the script's main() in this process, as a user would see it."""
    # Retry at once: the waits are for a real index catching up.
    monkeypatch.setattr(verify, "RETRY_DELAYS", (0.0, 0.0))
    # In the project, as the workflow runs it: pyproject.toml gives the identity.
    monkeypatch.chdir(script.parent.parent)

    def call(*argv: str | Path) -> Outcome:
        capsys.readouterr()
        code = verify.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return call


def place(directory: Path, *files: tuple[Path, str]) -> Path:
    """Copy files into directory under the given names."""
    directory.mkdir(parents=True, exist_ok=True)
    for source, name in files:
        shutil.copyfile(source, directory / name)
    return directory


@pytest.fixture
def dist(tmp_path: Path, fixtures: Path) -> Path:
    """dist/ with the real sdist and its attestation."""
    return place(
        tmp_path / "dist",
        (fixtures / SDIST, SDIST),
        (fixtures / (SDIST + SUFFIX), SDIST + SUFFIX),
    )


def test_script_is_the_same_file_in_every_project(renders: Any) -> None:
    # copier update replaces it whole: no answer is rendered into its text.
    template = (REPO / "template/scripts/verify_attestations.py").read_bytes()
    for answers in (ANSWERS, ODD_IDENTITY, {"adopt_existing": True}):
        rendered = renders(answers) / "scripts/verify_attestations.py"
        assert rendered.read_bytes() == template, answers


def test_identity_comes_from_pyproject(
    renders: Any, verify: ModuleType, tmp_path: Path
) -> None:
    project = renders(ODD_IDENTITY)
    args = verify.parser().parse_args(
        ["dist", "--pyproject", str(project / "pyproject.toml")]
    )
    assert verify.expected_from(args)[0] == verify.Identity(
        "Acme-Corp/widget.tools", "publish.yml", "Release Env"
    )
    assert args.package == "acme-widget-tools"
    # A flag wins over the file.
    args = verify.parser().parse_args(
        ["dist", "--pyproject", str(project / "pyproject.toml"), "--environment", ""]
    )
    assert verify.expected_from(args)[0].environment == ""


def test_without_pyproject_every_flag_is_asked_for_in_one_line(
    script: Path, tmp_path: Path
) -> None:
    result = run(sys.executable, script, "dist", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: no expected --package, --repository, --workflow, --environment: "
        "pass them, or run where pyproject.toml declares them ([project] name, "
        "[tool.verify-attestations])\n"
    )
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.verify-attestations]\nrepository = 1\n")
    result = run(sys.executable, script, "dist", cwd=tmp_path, check=False)
    assert (result.returncode, result.stderr) == (
        2,
        "error: pyproject.toml: repository must be a string\n",
    )


HOSTILE_PYPROJECT = """\
[project]
name = "other"

[tool.verify-attestations]
repository = "evil/other"
workflow = "evil.yml"
environment = "evil"
tag = "{version}"
repository-id = "1"
"""
IDENTITY = ["--package", "pypi-attestations", "--repository", REAL]
IDENTITY += ["--workflow", "release.yml", "--environment", ""]


def test_no_pyproject_ignores_a_hostile_pyproject(
    cli: Callable[..., Outcome],
    dist: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The token job's checkout is the tag's: its pyproject.toml could name any
    # tag pattern or repository id. The flags name the whole identity, yet
    # without --no-pyproject the file's tag still applies.
    (tmp_path / "pyproject.toml").write_text(HOSTILE_PYPROJECT)
    monkeypatch.chdir(tmp_path)
    read = cli("dist", dist, *IDENTITY, "--offline")
    assert read.code == 1
    assert read.line(SDIST) == (
        f"FAIL {SDIST}: signed at ref refs/tags/v0.0.19, expected the release "
        "tag refs/tags/0.0.19"
    )
    ignored = cli("dist", dist, *IDENTITY, "--offline", "--no-pyproject")
    assert ignored.code == 0, ignored.out
    assert ignored.line(SDIST).startswith(f"OK {SDIST}: {SIGNED_BY}")


@pytest.mark.parametrize(
    "mode", [["dist"], ["release", "0.0.19"], ["rebuild", "0.0.19"]]
)
def test_no_pyproject_takes_every_expected_value_from_the_flags(
    verify: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: list[str],
) -> None:
    (tmp_path / "pyproject.toml").write_text(HOSTILE_PYPROJECT)
    monkeypatch.chdir(tmp_path)
    args = verify.parser().parse_args([*mode, "--no-pyproject", *IDENTITY])
    identity, source = verify.expected_from(args)
    assert identity == verify.Identity(REAL, "release.yml", "")
    assert source == verify.Source("v{version}", None, None)
    assert args.package == "pypi-attestations"
    # A flag left out is asked for, whatever the file declares.
    args = verify.parser().parse_args([*mode, "--no-pyproject", *IDENTITY[2:]])
    with pytest.raises(verify.CannotCheck) as error:
        verify.expected_from(args)
    assert str(error.value) == (
        "no expected --package: pass them, --no-pyproject reads them from no file"
    )


def test_no_pyproject_and_pyproject_exclude_each_other(script: Path) -> None:
    result = run(
        sys.executable, script, "dist", "--no-pyproject", "--pyproject", "x.toml",
        check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --no-pyproject reads no file: give it no --pyproject\n"
    )


def test_pep723_metadata_pins_what_the_tests_run(script: Path) -> None:
    block = re.search(
        r"^# /// script$\s(?P<content>(^#(| .*)$\s)+)^# ///$", script.read_text(), re.M
    )
    assert block is not None
    metadata = tomllib.loads(
        "".join(
            line[2:] if line.startswith("# ") else line[1:]
            for line in block["content"].splitlines(keepends=True)
        )
    )
    requirements = {
        Requirement(r).name: Requirement(r) for r in metadata["dependencies"]
    }
    assert str(requirements["pypi-attestations"].specifier) == "<0.1,>=0.0.30"
    assert "pypi-simple" in requirements
    # The versions these tests run with are ones the script accepts.
    for name, requirement in requirements.items():
        assert requirement.specifier.contains(installed_version(name)), name


def test_rendered_script_is_ruff_clean(renders: Any) -> None:
    # Stricter than the check of all generated Python: typed, and the rules
    # this repository holds itself to.
    script = renders() / "scripts" / "verify_attestations.py"
    ruff = tool("ruff")
    run(ruff, "format", "--isolated", "--check", "--diff", script)
    rules = ["--extend-select", "E,F,W,I,B,UP,RUF,SIM,PTH,ANN", "--ignore", "ANN401"]
    run(ruff, "check", "--isolated", "--target-version", "py311", *rules, script)


def test_no_index_host_is_written_in_the_script(script: Path) -> None:
    # The default index comes from pypi-simple's constant, named in the help.
    host = urlsplit(PYPI_SIMPLE_ENDPOINT).hostname
    assert host and host not in script.read_text()
    release = run(sys.executable, script, "release", "--help").stdout
    assert "(default: pypi-simple's PYPI_SIMPLE_ENDPOINT)" in " ".join(release.split())


def docstring_paragraphs(script: Path) -> list[str]:
    return (ast.get_docstring(ast.parse(script.read_text())) or "").split("\n\n")


@pytest.mark.parametrize("mode", ["dist", "release", "rebuild"])
def test_each_modes_help_shows_its_own_paragraph(script: Path, mode: str) -> None:
    paragraphs = docstring_paragraphs(script)
    page = run(sys.executable, script, mode, "--help").stdout
    own = [p for p in paragraphs if p.startswith(f"`{mode}` ")]
    others = [p for p in paragraphs if p.startswith("`") and p not in own]
    shared = [p for p in paragraphs[2:] if not p.startswith("`")]
    # As written, line for line; no other mode's, and what holds for all.
    assert len(own) == 1 and own[0] in page
    assert len(others) == 2 and not any(p in page for p in others)
    assert shared and all(p in page for p in shared)


def test_the_top_help_shows_the_summary_and_the_usage(script: Path) -> None:
    summary, usage, *others = docstring_paragraphs(script)
    top = run(sys.executable, script, "--help").stdout
    assert top.split("\n\n")[1:3] == [summary, usage]
    modes = [p for p in others if p.startswith("`")]
    assert len(modes) == 3 and not any(p in top for p in modes)


def test_help_is_honest_about_the_environment(script: Path) -> None:
    top = run(sys.executable, script, "--help").stdout
    assert "does not record the GitHub environment" in " ".join(top.split())
    dist = run(sys.executable, script, "dist", "--help").stdout
    assert "The environment cannot be checked here" in " ".join(dist.split())


# --- dist mode -------------------------------------------------------------------


def test_real_sdist_verifies_end_to_end(script: Path, dist: Path) -> None:
    result = run(sys.executable, script, "dist", dist, *ARGS, cwd=script.parent.parent)
    lines = result.stdout.splitlines()
    assert lines[1] == f"OK {SDIST}: {SIGNED_BY} (PyPI publish attestation)"
    assert "Environment pypi: NOT checked" in result.stdout
    assert "1 file: 1 verified." in lines
    assert result.stderr == ""


def test_tampered_copy_fails_end_to_end(script: Path, dist: Path) -> None:
    data = bytearray((dist / SDIST).read_bytes())
    data[1000] ^= 0x01
    (dist / SDIST).write_bytes(data)
    result = run(
        sys.executable,
        script,
        "dist",
        dist,
        *ARGS,
        check=False,
        cwd=script.parent.parent,
    )
    assert result.returncode == 1
    assert f"FAIL {SDIST}: the file's sha256 differs from the one that was signed" in (
        result.stdout
    )
    assert "Traceback" not in result.stderr


def test_another_repository_is_rejected(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    result = cli("dist", dist, *ARGS, "--repository", "someone/pypi-attestations")
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed by repository {REAL}, expected someone/pypi-attestations"
    )


def test_another_workflow_is_rejected(cli: Callable[..., Outcome], dist: Path) -> None:
    # The rendered default, publish.yml, is not what signed the fixture.
    result = cli("dist", dist, "--offline")
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed by workflow release.yml @ refs/tags/v0.0.19, "
        "expected publish.yml"
    )


def test_environment_is_said_to_be_unchecked_locally(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    # No certificate records the environment: dist must not claim it checked
    # one, whatever is asked.
    result = cli("dist", dist, *ARGS, "--environment", "staging")
    assert result.code == 0
    assert "Environment staging: NOT checked" in result.out
    as_json = json.loads(cli("dist", dist, *ARGS, "--json").out)
    assert as_json["environment_checked"] is False


def test_staging_signed_attestation_is_rejected_on_production(
    cli: Callable[..., Outcome], tmp_path: Path, fixtures: Path
) -> None:
    place(
        tmp_path,
        (fixtures / WHEEL, WHEEL),
        (fixtures / (WHEEL + SUFFIX), WHEEL + SUFFIX),
    )
    result = cli("dist", tmp_path, *ARGS, "--package", "rfc8785")
    assert result.code == 1
    assert result.line(WHEEL).startswith(
        f"FAIL {WHEEL}: signature does not verify on Sigstore production: "
    )
    # On staging the signature is good, but no workflow made it.
    staging = cli("dist", tmp_path, *ARGS, "--package", "rfc8785", "--staging")
    assert staging.code == 1
    assert staging.line(WHEEL) == (
        f"FAIL {WHEEL}: not signed by GitHub Actions "
        "(certificate issuer: https://github.com/login/oauth)"
    )


def test_file_without_attestation_is_rejected(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    (dist / (SDIST + SUFFIX)).unlink()
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: no attestation: {SDIST}{SUFFIX} is missing"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "attestation is not valid JSON ("),
        (b'{"version": 1}', "not a PEP 740 attestation (verification_material: "),
        (b"[]", "not a PEP 740 attestation (document: "),
    ],
    ids=["not-json", "missing-fields", "not-an-object"],
)
def test_unreadable_attestation_is_rejected(
    cli: Callable[..., Outcome], dist: Path, content: bytes, reason: str
) -> None:
    (dist / (SDIST + SUFFIX)).write_bytes(content)
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(SDIST).startswith(f"FAIL {SDIST}: {reason}")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.txt", "not a distribution: expected a wheel (.whl) or sdist (.tar.gz)"),
        (
            "pypi_attestations-0.0.19.zip",
            "a .zip sdist: the index accepts only .tar.gz",
        ),
        ("pypi_attestations.whl", "not a valid distribution file name: "),
        ("rfc8785-0.1.2.tar.gz", "belongs to project rfc8785, not pypi-attestations"),
    ],
)
def test_file_that_is_not_this_projects_distribution_is_rejected(
    cli: Callable[..., Outcome], dist: Path, fixtures: Path, name: str, reason: str
) -> None:
    place(dist, (fixtures / SDIST, name))
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(name).startswith(f"FAIL {name}: {reason}")
    # The good file next to it is still reported as good.
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    assert "2 files: 1 verified, 1 failed." in result.out


def test_attestation_for_another_file_is_rejected(
    cli: Callable[..., Outcome], tmp_path: Path, fixtures: Path
) -> None:
    renamed = "pypi_attestations-0.0.20.tar.gz"
    place(
        tmp_path,
        (fixtures / SDIST, renamed),
        (fixtures / (SDIST + SUFFIX), renamed + SUFFIX),
    )
    result = cli("dist", tmp_path, *ARGS)
    assert result.code == 1
    assert result.line(renamed).startswith(
        f"FAIL {renamed}: the attestation is for another file"
    )


def test_hidden_files_are_skipped_and_stray_attestations_reported(
    cli: Callable[..., Outcome], dist: Path, fixtures: Path
) -> None:
    (dist / ".gitignore").write_text("*\n")  # what uv build leaves in dist/
    assert cli("dist", dist, *ARGS).code == 0
    place(dist, (fixtures / (WHEEL + SUFFIX), WHEEL + SUFFIX))
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(WHEEL + SUFFIX) == (
        f"FAIL {WHEEL}{SUFFIX}: attestation for {WHEEL}, which is not here"
    )


@pytest.mark.parametrize(
    "stray", [SDIST + SUFFIX + SUFFIX, f"X{SUFFIX}{SUFFIX}", "notes.txt"]
)
def test_a_stray_file_fails_in_one_line_naming_it(
    cli: Callable[..., Outcome], dist: Path, stray: str
) -> None:
    # Beside a verified sdist and its attestation: anything that is neither a
    # distribution nor the attestation of one here is not uploaded silently.
    (dist / stray).write_text("{}")
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    (line,) = [ln for ln in result.out.splitlines() if ln.startswith("FAIL")]
    assert line.startswith(f"FAIL {stray}: ")
    if stray.endswith(SUFFIX + SUFFIX):
        assert line == (
            f"FAIL {stray}: not a distribution, nor the attestation of one: "
            f"{stray.removesuffix(SUFFIX)} is an attestation"
        )


def test_nothing_to_verify_is_a_usage_error(
    cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    empty = cli("dist", tmp_path, *ARGS)
    assert (empty.code, empty.out) == (2, "")
    assert empty.err == f"error: {tmp_path} holds no distributions to verify\n"
    missing = cli("dist", tmp_path / "nope", *ARGS)
    assert missing.err == f"error: {tmp_path / 'nope'} is not a directory\n"
    bad = cli("dist", tmp_path, "--repository", "not a repo")
    assert bad.err == "error: --repository 'not a repo' is not OWNER/NAME\n"
    path = cli("dist", tmp_path, "--workflow", ".github/workflows/publish.yml")
    assert path.code == 2 and "is not a workflow file name" in path.err


def test_json_output(cli: Callable[..., Outcome], dist: Path, fixtures: Path) -> None:
    place(dist, (fixtures / WHEEL, WHEEL))
    result = cli("dist", dist, *ARGS, "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["files"] == [
        {
            "file": SDIST,
            "status": "OK",
            "reason": f"{SIGNED_BY} (PyPI publish attestation)",
        },
        {
            "file": WHEEL,
            "status": "FAIL",
            "reason": "belongs to project rfc8785, not pypi-attestations",
        },
    ]
    assert data["identity"] == {
        "kind": "GitHub",
        "repository": REAL,
        "workflow": "release.yml",
        "environment": "pypi",
    }
    assert (data["exit_code"], data["sigstore"]) == (1, "production")
    error = cli("dist", dist / "nope", "--json")
    assert error.code == 2
    assert json.loads(error.out) == {
        "error": f"{dist / 'nope'} is not a directory",
        "exit_code": 2,
    }


def test_usage_errors_never_show_a_traceback(
    script: Path,
    verify: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases: dict[tuple[str | Path, ...], str] = {
        ("dist", tmp_path): f"error: {tmp_path} holds no distributions to verify",
        ("release", "1.0!x"): "error: '1.0!x' is not a version",
        ("release", "1.0", "--timeout", "-1"): "--timeout: -1 is not a positive",
        ("release", "1.0", "--jobs", "0"): "--jobs: 0 is not a positive whole",
        ("nonsense",): "invalid choice: 'nonsense'",
    }
    # In this process: an exception escaping main() would fail the test.
    monkeypatch.chdir(script.parent.parent)
    for argv, message in cases.items():
        try:
            code = verify.main([*map(str, argv), "--offline"])
        except SystemExit as usage:  # argparse's errors exit, as in a shell
            code = usage.code
        stderr = capsys.readouterr().err
        assert code == 2, argv
        # One line, after argparse's usage lines.
        assert message in stderr.strip().splitlines()[-1], stderr
    # And once through an interpreter, as a user runs it.
    project = script.parent.parent
    result = run(sys.executable, script, "release", "1.0!x", check=False, cwd=project)
    assert result.returncode == 2
    assert result.stderr == "error: '1.0!x' is not a version\n"


# --- release mode: a PEP 691 index served on 127.0.0.1 --------------------------


def provenance_of(attestation: bytes, **publisher: str | None) -> bytes:
    """A provenance object, as the index serves it, around one attestation."""
    return json.dumps(
        {
            "version": 1,
            "attestation_bundles": [
                {
                    "publisher": {
                        "kind": "GitHub",
                        "repository": REAL,
                        "workflow": "release.yml",
                        "environment": None,
                    }
                    | publisher,
                    "attestations": [json.loads(attestation)],
                }
            ],
        }
    ).encode()


WHEEL_0019 = "pypi_attestations-0.0.19-py3-none-any.whl"


# The test index is plain http on 127.0.0.1, which only this flag admits.
LOCAL = ["--insecure-local-index"]


def release_args(index: FakeIndex, *extra: str) -> list[str]:
    return ["release", "0.0.19", "--index-url", index.simple, *ARGS, *LOCAL, *extra]


@pytest.fixture
def published(index: FakeIndex, fixtures: Path) -> FakeIndex:
    """The real sdist with the real provenance (its publisher names no
    environment)."""
    index.add(
        SDIST,
        (fixtures / SDIST).read_bytes(),
        (fixtures / (SDIST + ".provenance")).read_bytes(),
    )
    return index


def test_release_verifies_end_to_end(script: Path, published: FakeIndex) -> None:
    result = run(
        sys.executable,
        script,
        *release_args(published, "--environment", ""),
        cwd=script.parent.parent,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Verifying pypi-attestations 0.0.19 against ")
    assert lines[1] == (
        f"OK {SDIST}: {SIGNED_BY} (PyPI publish attestation); index's environment: none"
    )
    assert "1 file: 1 verified." in lines
    assert published.hits[f"/files/{SDIST}"] == 1


def sums(tmp_path: Path, files: dict[str, bytes]) -> str:
    """The release's list in sha256sum's format, as a release run writes it."""
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    listed = run("sha256sum", "--", *files, cwd=tmp_path).stdout
    (tmp_path / "SHA256SUMS").write_text(listed)
    return str(tmp_path / "SHA256SUMS")


def test_release_holds_exactly_the_files_listed(
    cli: Callable[..., Outcome], published: FakeIndex, fixtures: Path, tmp_path: Path
) -> None:
    same = sums(tmp_path, {SDIST: (fixtures / SDIST).read_bytes()})
    outcome = cli(*release_args(published, "--environment", "", "--sha256sums", same))
    assert outcome.code == 0
    assert outcome.line(SDIST).startswith(f"OK {SDIST}: ")
    assert outcome.line(SDIST).endswith("; the bytes --sha256sums lists")


@pytest.mark.parametrize(
    ("files", "file", "reason"),
    [
        ({SDIST: b"rebuilt differently"}, SDIST, "on the index with other bytes"),
        ({WHEEL_0019: b"a wheel"}, SDIST, "on the index, but not listed in"),
        ({WHEEL_0019: b"a wheel"}, WHEEL_0019, "listed in --sha256sums, but not on"),
    ],
)
def test_release_that_differs_from_the_list_is_rejected(
    cli: Callable[..., Outcome],
    published: FakeIndex,
    tmp_path: Path,
    files: dict[str, bytes],
    file: str,
    reason: str,
) -> None:
    listed = sums(tmp_path, files)
    outcome = cli(*release_args(published, "--environment", "", "--sha256sums", listed))
    assert outcome.code == 1
    assert outcome.line(file).startswith(f"FAIL {file}: {reason}")


DIGEST = "a" * 64


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "lists no files"),
        ("\n", "line 1 is not `<sha256>  <name>`"),
        (f"{DIGEST}  {SDIST}\n{DIGEST}  {SDIST}\n", f"line 2 lists {SDIST} again"),
        (f"{DIGEST}  dist/{SDIST}\n", "line 1 is not `<sha256>  <name>`"),
        (f"{DIGEST}  {SDIST}\n\n{DIGEST}  {WHEEL_0019}\n", "line 2 is not"),
        (f"{DIGEST} {SDIST}\n", "line 1 is not"),
        (f"{DIGEST[1:]}  {SDIST}\n", "line 1 is not"),
        (f"{DIGEST}  a$(touch PWNED).tar.gz\n", "line 1 is not"),
        (f"{DIGEST}  .hidden\n", "line 1 is not"),
        (f"{DIGEST}  {SDIST}\r\n", "line 1 is not"),
        (f"{DIGEST}  é.tar.gz\n", "not ASCII text"),
    ],
)
def test_a_malformed_list_is_a_one_line_usage_error(
    cli: Callable[..., Outcome],
    published: FakeIndex,
    tmp_path: Path,
    text: str,
    problem: str,
) -> None:
    listed = tmp_path / "SHA256SUMS"
    listed.write_bytes(text.encode())
    outcome = cli(*release_args(published, "--sha256sums", str(listed)))
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err.startswith(f"error: --sha256sums {listed}: {problem}")
    assert len(outcome.err.splitlines()) == 1
    # Refused before the index is asked anything.
    assert not published.hits


def test_a_list_without_its_last_newline_or_in_capitals_is_read(
    verify: ModuleType, tmp_path: Path
) -> None:
    listed = tmp_path / "SHA256SUMS"
    listed.write_text(f"{DIGEST.upper()}  {SDIST}\n{DIGEST}  {WHEEL_0019}")
    assert verify.listed_digests(listed) == {SDIST: DIGEST, WHEEL_0019: DIGEST}


def test_release_list_must_be_a_readable_file(
    cli: Callable[..., Outcome], published: FakeIndex, tmp_path: Path
) -> None:
    outcome = cli(*release_args(published, "--sha256sums", str(tmp_path / "none")))
    assert outcome.code == 2
    assert "cannot be read: No such file or directory" in outcome.err


def test_release_environment_is_compared_as_the_index_does(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path
) -> None:
    attestation = (fixtures / (SDIST + SUFFIX)).read_bytes()
    index.add(
        SDIST,
        (fixtures / SDIST).read_bytes(),
        provenance_of(attestation, environment="PyPI"),
    )
    result = cli(*release_args(index))  # the answers' environment: pypi
    assert result.code == 0, result.out
    assert "index's environment: pypi" in result.line(SDIST)
    assert "Environment pypi: checked against the publisher" in result.out


def test_release_environment_that_differs_is_rejected(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    # The real provenance names no environment; the project expects one.
    result = cli(*release_args(published))
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the index's trusted publisher names no environment "
        "(any job of the workflow could upload), expected pypi"
    )
    other = cli(*release_args(published, "--environment", "staging"))
    assert other.line(SDIST).endswith("expected staging")


def test_release_other_named_environment_is_rejected(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path
) -> None:
    attestation = (fixtures / (SDIST + SUFFIX)).read_bytes()
    index.add(
        SDIST,
        (fixtures / SDIST).read_bytes(),
        provenance_of(attestation, environment="staging"),
    )
    result = cli(*release_args(index))
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the index's trusted publisher names environment "
        "staging, expected pypi"
    )


def test_release_tampered_file_is_rejected(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path
) -> None:
    data = bytearray((fixtures / SDIST).read_bytes())
    data[1000] ^= 0x01
    provenance = (fixtures / (SDIST + ".provenance")).read_bytes()
    # An index that lists the tampered file's own digest...
    index.add(SDIST, bytes(data), provenance)
    result = cli(*release_args(index, "--environment", ""))
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the file's sha256 differs from the one that was "
        "signed: the file changed after signing"
    )
    # ...and one that lists the original digest but serves other bytes.
    original = hashlib.sha256((fixtures / SDIST).read_bytes()).hexdigest()
    index.files.clear()
    index.add(SDIST, bytes(data), provenance, listed_sha256=original)
    result = cli(*release_args(index, "--environment", ""))
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the downloaded file does not match the index's sha256"
    )


def test_release_publisher_of_another_repository_or_workflow_is_rejected(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    repo = cli(*release_args(published, "--environment", "", "--repository", "a/b"))
    assert repo.code == 1
    assert repo.line(SDIST) == (
        f"FAIL {SDIST}: the index says repository {REAL} uploaded it, expected a/b"
    )
    flow = cli(*release_args(published, "--environment", "", "--workflow", "x.yml"))
    assert flow.code == 1
    assert flow.line(SDIST) == (
        f"FAIL {SDIST}: the index says workflow release.yml uploaded it, expected x.yml"
    )


def test_release_signature_is_checked_whatever_the_index_says(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path
) -> None:
    # The provenance's publisher block is the index's word, not signed: one
    # naming the expected identity must not cover a signature by another.
    attestation = (fixtures / (SDIST + SUFFIX)).read_bytes()
    index.add(
        SDIST,
        (fixtures / SDIST).read_bytes(),
        provenance_of(attestation, repository="a/b", workflow="x.yml"),
    )
    repo = cli(*release_args(index, "--environment", "", "--repository", "a/b"))
    assert repo.code == 1
    assert repo.line(SDIST) == (
        f"FAIL {SDIST}: the index says workflow x.yml uploaded it, expected release.yml"
    )
    both = cli(
        *release_args(index, "--environment", "", "--repository", "a/b"),
        "--workflow",
        "x.yml",
    )
    assert both.code == 1
    assert both.line(SDIST) == (
        f"FAIL {SDIST}: signed by repository {REAL}, expected a/b"
    )


def test_release_staging_signed_file_is_rejected(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path
) -> None:
    attestation = (fixtures / (WHEEL + SUFFIX)).read_bytes()
    wheel = WHEEL.replace("rfc8785", "pypi_attestations").replace("0.1.2", "0.0.19")
    # Served under this project's name, so only the signature can fail it.
    index.add(wheel, (fixtures / WHEEL).read_bytes(), provenance_of(attestation))
    result = cli(*release_args(index, "--environment", ""))
    assert result.code == 1
    assert result.line(wheel).startswith(
        f"FAIL {wheel}: signature does not verify on Sigstore production: "
    )


def test_release_file_without_provenance_is_rejected(
    cli: Callable[..., Outcome], published: FakeIndex, fixtures: Path
) -> None:
    wheel = "pypi_attestations-0.0.19-py3-none-any.whl"
    published.add(wheel, (fixtures / WHEEL).read_bytes(), None)
    result = cli(*release_args(published, "--environment", ""))
    assert result.code == 1
    assert result.line(wheel) == (
        f"FAIL {wheel}: no provenance: the index lists no attestations for it"
    )
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    # Listed, but the index answers 404 for it.
    del published.routes[f"/provenance/{SDIST}"]
    gone = cli(*release_args(published, "--environment", ""))
    assert gone.line(SDIST) == (
        f"FAIL {SDIST}: no provenance: the index has none for this file"
    )


@pytest.mark.parametrize(
    ("provenance", "reason"),
    [
        (b"<html>", "the provenance is not valid JSON ("),
        (b'{"version": 1}', "not a PEP 740 provenance object (attestation_bundles: "),
        (
            b'{"version": 1, "attestation_bundles": []}',
            "the provenance holds no attestations",
        ),
    ],
    ids=["not-json", "not-provenance", "empty"],
)
def test_release_unreadable_provenance_is_rejected(
    cli: Callable[..., Outcome],
    index: FakeIndex,
    fixtures: Path,
    provenance: bytes,
    reason: str,
) -> None:
    index.add(SDIST, (fixtures / SDIST).read_bytes(), provenance)
    result = cli(*release_args(index, "--environment", ""))
    assert result.code == 1
    assert result.line(SDIST).startswith(f"FAIL {SDIST}: {reason}")


def test_release_file_that_is_not_a_distribution_is_rejected(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    egg = "pypi_attestations-0.0.19-py3.11.egg"
    published.add(egg, b"not a zip", None)
    result = cli(*release_args(published, "--environment", ""))
    assert result.code == 1
    assert result.line(egg) == (
        f"FAIL {egg}: not a distribution: expected a wheel (.whl) or sdist (.tar.gz)"
    )
    assert f"/files/{egg}" not in published.hits  # rejected by name alone


def test_release_version_not_listed_is_exit_2(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    result = cli("release", "9.9", "--index-url", published.simple, *ARGS, *LOCAL)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: the index lists no files for pypi-attestations 9.9 (yet)\n"
    )
    unknown = cli(*release_args(published, "--package", "not-there"))
    assert unknown.code == 2
    assert unknown.err == (
        f"error: the index at {published.simple} lists no project not-there (yet)\n"
    )


def test_release_http_errors_are_exit_2_after_retries(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    page = published.routes["/simple/pypi-attestations/"]
    page.status = 503
    result = cli(*release_args(published, "--retries", "1"))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: HTTP 503 for the project page of pypi-attestations (2 attempts)\n"
    )
    assert published.hits["/simple/pypi-attestations/"] == 2
    page.status = 403  # retrying cannot change this one
    result = cli(*release_args(published))
    assert result.err == "error: HTTP 403 for the project page of pypi-attestations\n"
    assert published.hits["/simple/pypi-attestations/"] == 3


def test_release_transient_failures_are_retried(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    published.routes["/simple/pypi-attestations/"].failures = 1
    published.routes[f"/files/{SDIST}"].failures = 2
    result = cli(*release_args(published, "--environment", ""))
    assert result.code == 0, result.out + result.err
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    assert published.hits[f"/files/{SDIST}"] == 3


def test_release_file_download_failure_is_a_network_error(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    published.routes[f"/files/{SDIST}"].status = 500
    result = cli(*release_args(published, "--environment", "", "--retries", "0"))
    assert result.code == 2
    assert result.line(SDIST) == f"ERROR {SDIST}: HTTP 500 for {SDIST} (1 attempt)"
    assert "1 file: 0 verified, 1 not checked (network or index error)." in result.out


def test_release_timeouts_are_exit_2(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    published.routes["/simple/pypi-attestations/"].delay = 1.0
    started = time.monotonic()
    result = cli(*release_args(published, "--timeout", "0.2", "--retries", "1"))
    assert time.monotonic() - started < 3
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: network error: the project page of pypi-attestations timed out "
        "(2 attempts)\n"
    )


def test_release_json_output(cli: Callable[..., Outcome], published: FakeIndex) -> None:
    data = json.loads(cli(*release_args(published, "--json")).out)
    assert data["mode"] == "release"
    assert data["version"] == "0.0.19"
    assert data["environment_checked"] is True
    assert data["files"][0]["status"] == "FAIL"
    assert data["exit_code"] == 1


# --- --pylock ------------------------------------------------------------------


def write_lock(
    path: Path, identities: str | None, name: str = "pypi-attestations"
) -> Path:
    """A pylock.toml locking one package, with these attestation identities."""
    sdist = f"{name.replace('-', '_')}-0.0.19.tar.gz"
    text = f"""\
lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "{name}"
version = "0.0.19"
sdist = {{ path = "dist/{sdist}", hashes = {{ sha256 = "{"0" * 64}" }} }}
"""
    if identities is not None:
        text += identities
    path.write_text(text)
    Pylock.from_dict(tomllib.loads(text))  # a lock packaging accepts
    return path


def printed_entry(out: str) -> str:
    start = out.index("[[packages.attestation-identities]]")
    return out[start:]


def test_pylock_entry_printed_is_one_the_check_accepts(
    cli: Callable[..., Outcome], dist: Path, tmp_path: Path
) -> None:
    missing = cli("dist", dist, *ARGS, "--pylock", write_lock(tmp_path / "a", None))
    assert missing.code == 0
    assert "has no attestation-identities for pypi-attestations; add the entry" in (
        missing.out
    )
    entry = printed_entry(missing.out)
    assert tomllib.loads(entry) == {
        "packages": {
            "attestation-identities": [
                {
                    "kind": "GitHub",
                    "repository": REAL,
                    "workflow": "release.yml",
                    "environment": "pypi",
                }
            ]
        }
    }
    lock = write_lock(tmp_path / "b", entry)
    matching = cli("dist", dist, *ARGS, "--pylock", lock)
    assert matching.code == 0
    assert f"pylock: {lock} names this identity" in matching.out


def test_pylock_naming_another_identity_is_a_red_flag(
    cli: Callable[..., Outcome], dist: Path, tmp_path: Path
) -> None:
    lock = write_lock(
        tmp_path / "pylock.toml",
        '[[packages.attestation-identities]]\nkind = "GitHub"\n'
        'repository = "evil/pypi-attestations"\nworkflow = "release.yml"\n',
    )
    result = cli("dist", dist, *ARGS, "--pylock", lock)
    assert result.code == 1
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    assert (
        f"pylock: RED FLAG: {lock} expects pypi-attestations from another publisher "
        "(kind=GitHub, repository=evil/pypi-attestations, workflow=release.yml)"
    ) in result.out


def test_pylock_with_case_and_without_environment(
    cli: Callable[..., Outcome], dist: Path, tmp_path: Path
) -> None:
    entry = (
        '[[packages.attestation-identities]]\nkind = "GitHub"\n'
        'repository = "TrailOfBits/pypi-attestations"\nworkflow = "release.yml"\n'
    )
    loose = cli("dist", dist, *ARGS, "--pylock", write_lock(tmp_path / "a", entry))
    assert loose.code == 0
    assert 'no environment; add environment = "pypi" to pin it' in loose.out
    pinned = write_lock(tmp_path / "b", entry + 'environment = "PyPI"\n')
    assert "names this identity" in cli("dist", dist, *ARGS, "--pylock", pinned).out
    other = write_lock(tmp_path / "c", entry + 'environment = "test"\n')
    assert cli("dist", dist, *ARGS, "--pylock", other).code == 1


def test_pylock_that_does_not_lock_the_package_is_a_usage_error(
    cli: Callable[..., Outcome], dist: Path, tmp_path: Path
) -> None:
    lock = write_lock(tmp_path / "pylock.toml", None, name="rfc8785")
    result = cli("dist", dist, *ARGS, "--pylock", lock)
    assert (result.code, result.err) == (
        2,
        f"error: {lock} locks no package named pypi-attestations\n",
    )
    (tmp_path / "bad.toml").write_text('lock-version = "1.0"\n')
    invalid = cli("dist", dist, *ARGS, "--pylock", tmp_path / "bad.toml")
    assert invalid.code == 2
    assert invalid.err.startswith(
        f"error: {tmp_path / 'bad.toml'} is not a valid pylock"
    )


@pytest.mark.parametrize("where", ["pyproject", "pylock"])
@pytest.mark.parametrize("nesting", ["a = " + "[" * 2000, "a = " + "{b = " * 2000])
def test_deeply_nested_toml_is_refused_in_one_line(
    cli: Callable[..., Outcome], dist: Path, tmp_path: Path, where: str, nesting: str
) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(nesting)
    result = cli("dist", dist, *ARGS, f"--{where}", deep)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"error: {deep} is nested too deeply to be read\n"


# --- What the certificate proves: ref, commit, repository id --------------------
# The fixture's certificate: ref refs/tags/v0.0.19, commit COMMIT, repository
# id REPOSITORY_ID, repository spelled trailofbits/pypi-attestations.

COMMIT = "08802efe1f8e5fec4ad842d6b8ce97656092ee72"
REPOSITORY_ID = "772247423"


def test_owner_and_repository_case_is_ignored_as_github_does(
    cli: Callable[..., Outcome], dist: Path, published: FakeIndex
) -> None:
    spelled = "TrailOfBits/PyPI-Attestations"
    local = cli("dist", dist, *ARGS, "--repository", spelled)
    assert local.code == 0, local.out
    assert local.line(SDIST) == f"OK {SDIST}: {SIGNED_BY} (PyPI publish attestation)"
    remote = cli(*release_args(published, "--environment", "", "--repository", spelled))
    assert remote.code == 0, remote.out
    # Case is all that is forgiven: another name still fails.
    other = cli("dist", dist, *ARGS, "--repository", "TrailOfBits/pypi-attestation")
    assert other.line(SDIST) == (
        f"FAIL {SDIST}: signed by repository {REAL}, "
        "expected TrailOfBits/pypi-attestation"
    )


def test_ref_must_be_the_release_tag(
    cli: Callable[..., Outcome], dist: Path, published: FakeIndex
) -> None:
    result = cli("dist", dist, *ARGS, "--tag", "release-{version}")
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed at ref refs/tags/v0.0.19, expected the release "
        "tag refs/tags/release-0.0.19"
    )
    assert result.out.startswith(
        f"Verifying pypi-attestations against {REAL}, workflow release.yml, "
        "ref refs/tags/release-{version} ("
    )
    remote = cli(*release_args(published, "--environment", "", "--tag", "{version}"))
    assert remote.code == 1
    assert remote.line(SDIST).endswith("expected the release tag refs/tags/0.0.19")


def test_a_rehearsal_names_the_branch_it_signed_at(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    """--ref: the one ref a rehearsal's certificate records (its branch), in
    place of the release tag; any other ref fails, and a ref that is not a
    full git ref is a usage error."""
    assert cli("dist", dist, *ARGS, "--ref", "refs/tags/v0.0.19").code == 0
    result = cli("dist", dist, *ARGS, "--ref", "refs/heads/main")
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed at ref refs/tags/v0.0.19, expected the ref "
        "refs/heads/main"
    )
    for bad in ("main", "refs/heads/", "refs/heads/a b", "refs/remotes/x"):
        refused = cli("dist", dist, *ARGS, "--ref", bad)
        assert (refused.code, refused.err) == (
            2,
            f"error: --ref {bad!r} is not a full git ref such as refs/heads/main\n",
        ), bad


@pytest.mark.parametrize(
    ("ref", "passes"),
    [
        ("refs/tags/v0.0.19", True),
        # The tag is written as the file names write the version.
        ("refs/tags/v0.0.19.0", False),
        ("refs/tags/V0.0.19", False),
        ("refs/heads/main", False),  # a workflow run on a branch
        ("refs/pull/7/merge", False),
        ("refs/tags/v0.0.20", False),
        ("refs/tags/v0.0.19-evil", False),
        ("refs/tags/v", False),
        ("", False),
    ],
)
def test_only_the_tag_of_the_files_version_passes(
    verify: ModuleType, ref: str, passes: bool
) -> None:
    claims = {verify.OID_SOURCE_REPOSITORY_REF: ref}
    problem = verify.Source().check(claims, verify.Version("0.0.19"))
    assert (problem is None) == passes, problem


def test_commit_is_checked_when_given(
    cli: Callable[..., Outcome], dist: Path, published: FakeIndex
) -> None:
    # GITHUB_SHA is lowercase; an uppercase copy names the same commit.
    for commit in (COMMIT, COMMIT.upper()):
        assert cli("dist", dist, *ARGS, "--commit", commit).code == 0
    other = "0" * 40
    result = cli("dist", dist, *ARGS, "--commit", other)
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed at commit {COMMIT}, expected {other}"
    )
    remote = cli(*release_args(published, "--environment", "", "--commit", other))
    assert remote.line(SDIST).startswith(f"FAIL {SDIST}: signed at commit {COMMIT}")
    short = cli("dist", dist, *ARGS, "--commit", COMMIT[:7])
    assert (short.code, short.err) == (
        2,
        f"error: --commit '{COMMIT[:7]}' is not a full commit hash\n",
    )


def test_repository_id_is_checked_when_declared(
    cli: Callable[..., Outcome], dist: Path, script: Path, tmp_path: Path
) -> None:
    assert cli("dist", dist, *ARGS, "--repository-id", REPOSITORY_ID).code == 0
    # A repository of the same name, made again: GitHub gave it another id.
    result = cli("dist", dist, *ARGS, "--repository-id", "1")
    assert result.code == 1
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signed by repository id {REPOSITORY_ID}, expected 1: the "
        "repository was deleted and re-created, or is another one of that name"
    )
    # The project's table can hold it (TOML writes a number), and the tag.
    pyproject = tmp_path / "pyproject.toml"
    text = (script.parent.parent / "pyproject.toml").read_text()
    pyproject.write_text(f"{text}repository-id = 1\n")
    declared = cli("dist", dist, *ARGS, "--pyproject", pyproject)
    assert declared.line(SDIST).startswith(f"FAIL {SDIST}: signed by repository id")
    pyproject.write_text(text.replace('tag = "v{version}"', 'tag = "r{version}"'))
    tagged = cli("dist", dist, *ARGS, "--pyproject", pyproject)
    assert tagged.line(SDIST).endswith("expected the release tag refs/tags/r0.0.19")
    bad = cli("dist", dist, *ARGS, "--repository-id", "772-247")
    assert (bad.code, bad.err) == (
        2,
        "error: --repository-id '772-247' is not a number\n",
    )
    no_placeholder = cli("dist", dist, *ARGS, "--tag", "latest")
    assert no_placeholder.code == 2
    assert no_placeholder.err.startswith("error: --tag 'latest' is not a tag pattern")


def test_json_report_says_what_the_certificate_had_to_record(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    data = json.loads(cli("dist", dist, *ARGS, "--commit", COMMIT, "--json").out)
    assert data["source"] == {
        "tag": "v{version}",
        "commit": COMMIT,
        "repository_id": None,
        "fixed_ref": None,
    }
    assert data["exit_code"] == 0
    branch = cli("dist", dist, *ARGS, "--ref", "refs/heads/main", "--json").out
    assert json.loads(branch)["source"]["fixed_ref"] == "refs/heads/main"


def test_rendered_project_declares_the_tag_and_the_workflow_passes_the_commit(
    renders: Any,
) -> None:
    # uv publishing has the job that runs `dist`; every project runs `release`.
    project = renders(ANSWERS | {"publishing_tool": "uv"})
    table = tomllib.loads((project / "pyproject.toml").read_text())["tool"]
    assert table["verify-attestations"]["tag"] == "v{version}"
    assert "repository-id" not in table["verify-attestations"]
    workflow = (project / ".github/workflows/publish.yml").read_text()
    calls = re.findall(r"verify_attestations\.py (?:dist|release) .*", workflow)
    # publish's, the rehearsal's (at its branch) and verify-release's.
    assert len(calls) == 3, calls
    for call in calls:
        assert '--commit "${GITHUB_SHA}"' in call and "--no-pyproject" in call
    assert sum('--ref "${GITHUB_REF}"' in call for call in calls) == 1


# --- Hostile input: an answer in the script's own words -------------------------
# Each case ends in exit status 1 (evidence against a file) or 2 (usage, index),
# with one line about it and no traceback; --json still prints a report.

DEEP = b"[" * 20_000  # what made json.loads raise RecursionError
HUGE = b'{"version": 1, "pad": "' + b" " * (1024 * 1024) + b'"}'


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (DEEP, "attestation is not valid JSON (nested too deeply: "),
        (HUGE, "attestation is larger than 1,048,576 bytes: refused unread"),
    ],
    ids=["deep", "huge"],
)
def test_hostile_attestation_is_one_line(
    cli: Callable[..., Outcome], dist: Path, content: bytes, reason: str
) -> None:
    (dist / (SDIST + SUFFIX)).write_bytes(content)
    result = cli("dist", dist, *ARGS)
    assert (result.code, result.err) == (1, "")
    assert result.line(SDIST).startswith(f"FAIL {SDIST}: {reason}")
    report = json.loads(cli("dist", dist, *ARGS, "--json").out)
    assert report["exit_code"] == 1
    assert report["files"][0]["reason"].startswith(reason)


def test_attestation_whose_certificate_is_not_one_is_one_line(
    cli: Callable[..., Outcome], dist: Path
) -> None:
    path = dist / (SDIST + SUFFIX)
    attestation = json.loads(path.read_bytes())
    attestation["verification_material"]["certificate"] = "Z2FyYmFnZQ=="  # garbage
    path.write_text(json.dumps(attestation))
    result = cli("dist", dist, *ARGS)
    assert (result.code, result.err) == (1, "")
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: signature does not verify on Sigstore production: "
        "invalid X.509 certificate"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (DEEP, "the provenance is not valid JSON (nested too deeply: "),
        (HUGE, "the provenance is larger than 1,048,576 bytes: refused unread"),
    ],
    ids=["deep", "huge"],
)
def test_hostile_provenance_is_one_line(
    cli: Callable[..., Outcome],
    script: Path,
    index: FakeIndex,
    fixtures: Path,
    content: bytes,
    reason: str,
) -> None:
    index.add(SDIST, (fixtures / SDIST).read_bytes(), content)
    args = release_args(index, "--environment", "")
    # The text run in its own process: the test index, in this one, complains
    # on stderr when the script hangs up on a body it refuses to read.
    result = run(sys.executable, script, *args, check=False, cwd=script.parent.parent)
    assert (result.returncode, result.stderr) == (1, "")
    line = Outcome(result.returncode, result.stdout, result.stderr).line(SDIST)
    assert line.startswith(f"FAIL {SDIST}: {reason}")
    as_json = json.loads(cli(*args, "--json").out)
    assert as_json["files"][0]["reason"].startswith(reason)


def test_deeply_nested_index_page_is_an_index_error(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    published.routes["/simple/pypi-attestations/"] = Route(
        body=DEEP, content_type=JSON_API
    )
    result = cli(*release_args(published))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: the index's page for pypi-attestations is nested too deeply to be "
        "a PEP 691 JSON page\n"
    )


NEWLINE = "pypi_attestations-0.0.19.tar.gz\n::error::forged"


@pytest.mark.parametrize(
    ("name", "printed", "reason"),
    [
        ("evil.bin", "evil.bin", "not a distribution: expected a wheel"),
        (
            "pypi_attestations-0.0.19.exe",
            "pypi_attestations-0.0.19.exe",
            "not a distribution: expected a wheel",
        ),
        (
            "../pypi_attestations-0.0.19.tar.gz",
            "../pypi_attestations-0.0.19.tar.gz",
            "not a file name: it holds a path separator",
        ),
        (
            "pypi_attestations-0.0.19-py3-none-any.whl\n::error::forged.whl",
            "pypi_attestations-0.0.19-py3-none-any.whl\\n::error::forged.whl",
            "not a file name: it holds a path separator, a control character",
        ),
        (
            "rfc8785-0.0.19.tar.gz",
            "rfc8785-0.0.19.tar.gz",
            "belongs to project rfc8785",
        ),
    ],
    ids=["bin", "exe", "dotdot", "newline", "other-project"],
)
def test_release_fails_on_any_listed_name_that_is_not_its_distribution(
    cli: Callable[..., Outcome],
    published: FakeIndex,
    name: str,
    printed: str,
    reason: str,
) -> None:
    published.add(name, b"whatever", None)
    result = cli(*release_args(published, "--environment", ""))
    assert (result.code, result.err) == (1, "")
    assert result.line(printed).startswith(f"FAIL {printed}: {reason}")
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    # Judged by its name alone: nothing was fetched for it.
    assert not any(name in path for path in published.hits if "/files/" in path)
    # No line of either output can be read as a workflow command.
    as_json = cli(*release_args(published, "--environment", "", "--json")).out
    for output in (result.out, as_json):
        assert not any(line.lstrip().startswith("::") for line in output.splitlines())
    assert name in [f["file"] for f in json.loads(as_json)["files"]]


def test_release_of_another_version_is_left_alone(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    # Old releases may hold formats no longer accepted; they are not this one.
    published.add("pypi_attestations-0.0.18.win32.exe", b"old", None)
    published.add("pypi_attestations-0.0.18.tar.gz", b"old", None)
    result = cli(*release_args(published, "--environment", ""))
    assert result.code == 0, result.out
    assert "1 file: 1 verified." in result.out


def test_release_fails_on_a_file_name_listed_twice(
    cli: Callable[..., Outcome], published: FakeIndex, fixtures: Path
) -> None:
    published.add(
        SDIST,
        (fixtures / SDIST).read_bytes(),
        (fixtures / (SDIST + ".provenance")).read_bytes(),
    )
    result = cli(*release_args(published, "--environment", ""))
    assert (result.code, result.err) == (1, "")
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the index lists this file name 2 times"
    )


SPELLINGS = [
    ("pypi_attestations-0.0.019.tar.gz", SDIST),
    ("PyPI_Attestations-0.0.19.tar.gz", SDIST),
    ("PyPI.Attestations-0.0.19-py3-none-any.whl", WHEEL_0019),
    ("pypi_attestations-0.0.19.0-py3-none-any.whl", WHEEL_0019),
]
SPELLING_IDS = ["version", "case", "wheel-name", "wheel-version"]


@pytest.mark.parametrize(("other", "name"), SPELLINGS, ids=SPELLING_IDS)
def test_release_fails_on_one_distribution_listed_under_two_spellings(
    cli: Callable[..., Outcome], index: FakeIndex, fixtures: Path, other: str, name: str
) -> None:
    data = (fixtures / SDIST).read_bytes()
    provenance = (fixtures / (SDIST + ".provenance")).read_bytes()
    for listed in (name, other):
        index.add(listed, data, provenance)
    result = cli(*release_args(index, "--environment", ""))
    assert (result.code, result.err) == (1, "")
    assert result.line(name) == (
        f"FAIL {name}: the same distribution is also named {other}"
    )
    assert result.line(other) == (
        f"FAIL {other}: the same distribution is also named {name}"
    )
    assert not any("/files/" in path for path in index.hits)  # judged by name


@pytest.mark.parametrize(("other", "name"), SPELLINGS[:2], ids=SPELLING_IDS[:2])
def test_dist_fails_on_one_distribution_under_two_spellings(
    cli: Callable[..., Outcome], dist: Path, fixtures: Path, other: str, name: str
) -> None:
    place(
        dist, (fixtures / SDIST, other), (fixtures / (SDIST + SUFFIX), other + SUFFIX)
    )
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert (
        result.line(SDIST)
        == f"FAIL {SDIST}: the same distribution is also named {other}"
    )
    assert (
        result.line(other)
        == f"FAIL {other}: the same distribution is also named {SDIST}"
    )


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (Path.mkdir, "a directory, not a regular file"),
        (make_fifo, "a FIFO, not a regular file"),
        (
            lambda path: path.symlink_to(SDIST),
            f"a symbolic link (to {SDIST}): not followed",
        ),
        (
            lambda path: path.symlink_to(Path(sys.executable)),
            f"a symbolic link (to {sys.executable}): not followed",
        ),
    ],
    ids=["directory", "fifo", "link-inside", "link-outside"],
)
def test_dist_fails_on_an_entry_that_is_not_a_regular_file(
    cli: Callable[..., Outcome],
    dist: Path,
    make: Callable[[Path], object],
    reason: str,
) -> None:
    make(dist / WHEEL_0019)
    result = cli("dist", dist, *ARGS)
    assert (result.code, result.err) == (1, "")
    assert result.line(WHEEL_0019) == f"FAIL {WHEEL_0019}: {reason}"
    assert result.line(SDIST).startswith(f"OK {SDIST}: ")
    # The attestation beside a distribution is checked the same way.
    (dist / WHEEL_0019).rename(dist / ".moved")
    attestation = dist / (SDIST + SUFFIX)
    attestation.rename(dist / ".real")
    make(attestation)
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    assert result.line(SDIST) == f"FAIL {SDIST}: {SDIST}{SUFFIX}: {reason}"


def test_dist_file_name_cannot_become_a_workflow_command(
    cli: Callable[..., Outcome], dist: Path, fixtures: Path
) -> None:
    place(dist, (fixtures / SDIST, NEWLINE + ".tar.gz"))
    result = cli("dist", dist, *ARGS)
    assert result.code == 1
    escaped = NEWLINE.replace("\n", "\\n") + ".tar.gz"
    assert result.line(escaped).startswith(f"FAIL {escaped}: ")
    as_json = cli("dist", dist, *ARGS, "--json").out
    for output in (result.out, as_json):
        assert not any(line.lstrip().startswith("::") for line in output.splitlines())
    assert NEWLINE + ".tar.gz" in [f["file"] for f in json.loads(as_json)["files"]]


@pytest.mark.parametrize(
    ("url", "local", "problem"),
    [
        ("http://127.0.0.1:9/simple/", False, "plain http (--insecure-local-index"),
        ("http://index.invalid/simple/", True, "not https"),
        ("file:///srv/simple/", True, "not https"),
        ("https://\n::error::x/simple/", True, "not https"),
    ],
    ids=["local-http", "remote-http", "file", "newline"],
)
def test_index_url_must_be_https(
    cli: Callable[..., Outcome], url: str, local: bool, problem: str
) -> None:
    flags = LOCAL if local else []
    result = cli("release", "0.0.19", "--index-url", url, *ARGS, *flags)
    assert (result.code, result.out) == (2, "")
    printed = url.replace("\n", "\\n")
    assert result.err.startswith(f"error: --index-url {printed}: {problem}")
    assert len(result.err.splitlines()) == 1


def test_files_served_over_http_are_rejected(
    cli: Callable[..., Outcome], published: FakeIndex, fixtures: Path
) -> None:
    # An https index may still point at plain-http files; the test index is
    # http itself, so only a remote http URL shows it here.
    published.files[0]["url"] = "http://files.invalid/" + SDIST
    page = {"meta": {"api-version": "1.1"}, "files": published.files}
    published.routes["/simple/pypi-attestations/"] = Route(
        body=json.dumps(page | {"name": "pypi-attestations"}).encode(),
        content_type=JSON_API,
    )
    result = cli(*release_args(published, "--environment", ""))
    assert (result.code, result.err) == (1, "")
    assert result.line(SDIST) == (
        f"FAIL {SDIST}: the index serves it from http://files.invalid/{SDIST}: "
        "not https"
    )


def test_claims_read_fast_are_the_ones_the_library_reads(
    verify: ModuleType, fixtures: Path
) -> None:
    # The script decodes the few claims it checks itself (the library's
    # decoder took a tenth of a verification); they must be the same text.
    attestation = verify.load_attestation((fixtures / (SDIST + SUFFIX)).read_bytes())
    library = attestation.certificate_claims
    assert verify.certificate_claims(attestation) == {
        oid: library[oid] for oid in verify.CLAIMS
    }
    assert verify.der_utf8_string(b"\x0c\x81\x03abc") == "abc"
    for not_der in (b"\x0c\x80abc", b"\x0c\x05abc", b"\x13\x03abc", b"\x0c"):
        assert verify.der_utf8_string(not_der) is None


def test_an_unforeseen_error_is_still_one_line_and_exit_2(
    cli: Callable[..., Outcome],
    verify: ModuleType,
    dist: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Exit status 1 means evidence against a file: a crash must not say that.
    def crash(*args: object) -> None:
        raise RecursionError("maximum recursion depth exceeded\n::error::x")

    monkeypatch.setattr(verify, "check_dist_dir", crash)
    result = cli("dist", dist, *ARGS)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: unexpected RecursionError: maximum recursion depth exceeded"
        "\\n::error::x\n"
    )
    as_json = json.loads(cli("dist", dist, *ARGS, "--json").out)
    assert as_json["exit_code"] == 2
    assert as_json["error"].startswith("unexpected RecursionError: ")


def test_a_redirect_away_from_https_is_not_followed(verify: ModuleType) -> None:
    import requests

    def redirect(location: str) -> requests.Response:
        response = requests.Response()
        response.status_code = 302
        response.headers["Location"] = location
        response.url = "https://index.example/simple/pypi-attestations/"
        return response

    session = verify.https_only_session(allow_local=False)
    assert session.get_redirect_target(redirect("/files/a.whl")) == "/files/a.whl"
    downgrade = redirect("http://files.example/a.whl")
    with pytest.raises(verify.CannotCheck) as refused:
        verify.with_retries(
            "the project page",
            lambda: session.get_redirect_target(downgrade),
            (0.0,),
        )
    assert str(refused.value) == (
        "the project page was redirected to http://files.example/a.whl: not https"
    )


# --- Every bound at its edge and one past ------------------------------------------


class Tripwire:
    """A stream of `size` bytes that fails the test once more than `allowed`
    bytes were read from it: what reading that stops at the bound never does."""

    def __init__(self, size: float, allowed: int) -> None:
        self.left, self.allowed = size, allowed

    def read(self, n: int = -1) -> bytes:
        got = int(min(self.left if n < 0 else n, self.left))
        assert got <= self.allowed, f"read {got} more bytes, {self.allowed} allowed"
        self.allowed -= got
        self.left -= got
        return b"x" * got


def test_document_reading_stops_one_byte_past_the_bound(
    verify: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "MAX_DOCUMENT", 1000)
    assert verify.read_document(Tripwire(1000, 1001).read, "it") == b"x" * 1000
    for size in (1001, float("inf")):  # one past, and a stream without end
        with pytest.raises(ValueError, match="larger than 1,000 bytes"):
            verify.read_document(Tripwire(size, 1001).read, "it")


def test_sdist_unpacking_stops_one_byte_past_the_bound(verify: ModuleType) -> None:
    at = io.BufferedReader(verify.Bounded(Tripwire(1000, 1001), 1000))
    assert len(at.read()) == 1000
    for size in (1001, float("inf")):  # one past, and a stream without end
        past = io.BufferedReader(verify.Bounded(Tripwire(size, 1001), 1000))
        with pytest.raises(ValueError, match="unpacks to more than"):
            past.read()


@pytest.mark.parametrize("past", [0, 1], ids=["at-the-bound", "one-past"])
def test_attestation_and_provenance_at_the_document_bound(
    cli: Callable[..., Outcome],
    verify: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    dist: Path,
    published: FakeIndex,
    fixtures: Path,
    past: int,
) -> None:
    too_large = "is larger than {:,} bytes: refused unread"
    size = (fixtures / (SDIST + SUFFIX)).stat().st_size
    monkeypatch.setattr(verify, "MAX_DOCUMENT", size - past)
    line = cli("dist", dist, *ARGS).line(SDIST)
    assert line.endswith(too_large.format(size - 1)) == bool(past), line
    size = (fixtures / (SDIST + ".provenance")).stat().st_size
    monkeypatch.setattr(verify, "MAX_DOCUMENT", size - past)
    line = cli(*release_args(published, "--environment", "")).line(SDIST)
    assert line.endswith(too_large.format(size - 1)) == bool(past), line


@pytest.mark.parametrize(
    ("flag", "edge", "past"),
    [
        ("--repository", f"{'o' * 39}/x", f"{'o' * 40}/x"),
        ("--repository", f"o/{'r' * 100}", f"o/{'r' * 101}"),
        ("--repository-id", "9" * 20, "9" * 21),
        ("--commit", "a" * 40, "a" * 41),
        ("--commit", "a" * 64, "a" * 65),
        ("--retries", "2", "3"),
        ("--retries", "0", "-1"),
        ("--jobs", "1", "0"),
        ("--timeout", "0.001", "0"),
    ],
    ids=[
        "owner",
        "name",
        "repository-id",
        "sha1",
        "sha256",
        "retries",
        "no-retries",
        "jobs",
        "timeout",
    ],
)
def test_every_argument_bound_at_its_edge_and_one_past(
    verify: ModuleType, script: Path, flag: str, edge: str, past: str
) -> None:
    def accepted(value: str) -> bool:
        argv = ["release", "1.0", f"{flag}={value}"]
        argv += ["--pyproject", str(script.parent.parent / "pyproject.toml")]
        try:
            args = verify.parser().parse_args(argv)
            verify.expected_from(args)
        except (SystemExit, verify.CannotCheck):
            return False
        return True

    assert (accepted(edge), accepted(past)) == (True, False)


def test_failed_wins_over_could_not_check_in_one_run(
    cli: Callable[..., Outcome], published: FakeIndex
) -> None:
    # 1 is evidence against a file; 2 asks to try again, which cannot undo it.
    published.routes[f"/files/{SDIST}"].status = 500
    args = release_args(published, "--environment", "", "--retries", "0")
    assert cli(*args).code == 2  # "could not check" alone
    published.add("evil.bin", b"x", None)
    result = cli(*args)
    assert result.line(SDIST).startswith(f"ERROR {SDIST}: HTTP 500")
    assert result.line("evil.bin").startswith("FAIL evil.bin: ")
    assert result.code == 1
    assert "2 files: 0 verified, 1 failed, 1 not checked" in result.out
    assert json.loads(cli(*args, "--json").out)["exit_code"] == 1
