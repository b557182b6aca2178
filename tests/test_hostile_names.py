"""No text is ever code: the release scripts take a tag and file names that an
attacker may choose (git lets a tag hold `$`, `(`, `)`, `{` and `}`; a file
name may hold a newline), and each refuses them in one line without running
any of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from conftest import REPO, STEP_SHELL, Renders, load_yaml, representative, run

SCRIPTS = REPO / "template/.github/scripts"
# Each runs `touch PWNED` in the working folder if the shell ever evaluates it.
PAYLOADS = ("$(touch${IFS}PWNED)", "`touch PWNED`", ";touch PWNED;", "$(touch PWNED)")


def release_version(tmp_path: Path, tag: str) -> tuple[int, str, str]:
    """release-version.sh for a run of `tag`: exit status, stdout, output file."""
    output = tmp_path / "github_output"
    output.write_text("")
    result = run(
        "bash",
        SCRIPTS / "release-version.sh",
        cwd=tmp_path,
        env={"GITHUB_REF": f"refs/tags/{tag}", "GITHUB_OUTPUT": str(output)},
        check=False,
    )
    return result.returncode, result.stdout, output.read_text()


def is_normalized_release(text: str) -> bool:
    try:
        version = Version(text)
    except InvalidVersion:
        return False
    return str(version) == text and version.local is None


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_tag_that_holds_shell_code_is_refused_and_never_run(
    tmp_path: Path, payload: str
) -> None:
    status, stdout, written = release_version(tmp_path, f"v1.0{payload}")
    assert status == 1 and written == ""
    assert stdout.startswith("::error::the tag must be v followed by a normalized")
    assert len(stdout.splitlines()) == 1, stdout
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        ("refs/heads/main", "::error::a release runs for a tag, not: refs/heads/main"),
        ("refs/tags/1.0", "::error::the tag must be v followed"),
        ("refs/tags/v1.0+local", "::error::the tag must be v followed"),
        ("refs/tags/v1.0\nv2.0", "::error::the tag must be v followed"),
    ],
)
def test_a_ref_that_is_no_release_tag_is_refused_in_one_line(
    tmp_path: Path, ref: str, error: str
) -> None:
    output = tmp_path / "github_output"
    result = run(
        "bash",
        SCRIPTS / "release-version.sh",
        cwd=tmp_path,
        env={"GITHUB_REF": ref, "GITHUB_OUTPUT": str(output)},
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(error) and result.stdout.count("\n") == 1
    assert not output.exists()


VERSION_TEXT = st.text(alphabet="0123456789.!abcdeilnoprstv+-_", max_size=14)


@settings(max_examples=150, deadline=None)
@given(text=VERSION_TEXT | st.sampled_from(["1!2.0", "0!1.0", "1.0rc1", "1.01"]))
def test_a_tag_is_accepted_exactly_when_it_is_a_normalized_release_version(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """The script's test is packaging's: `str(Version(v)) == v`, no local part."""
    status, stdout, written = release_version(
        tmp_path_factory.mktemp("tag"), f"v{text}"
    )
    if is_normalized_release(text):
        assert (status, written) == (0, f"version={text}\n"), stdout
    else:
        assert status == 1 and written == "", stdout


def dist_with(folder: Path, names: list[str]) -> Path:
    dist = folder / "dist"
    dist.mkdir(parents=True)
    (dist / "p-1.0.tar.gz").write_bytes(b"\x1f\x8b")
    (dist / "p-1.0-py3-none-any.whl").write_bytes(b"PK\3\4")
    for name in names:
        (dist / name).write_bytes(b"PK\3\4")
    return dist


def check_dist(folder: Path, *args: str) -> tuple[int, str]:
    result = run("bash", SCRIPTS / "check-dist.sh", *args, cwd=folder, check=False)
    return result.returncode, result.stdout


@pytest.mark.parametrize("payload", [*PAYLOADS, "\n", " ", "'", '"', "\\"])
def test_a_file_name_that_holds_shell_code_is_refused_and_never_run(
    tmp_path: Path, payload: str
) -> None:
    name = f"p-1.0{payload}-py3-none-any.whl"
    dist_with(tmp_path, [name])
    status, stdout = check_dist(tmp_path, "1.0", "dist")
    assert status == 1
    assert stdout.startswith("::error::not a distribution's name (only letters")
    assert len(stdout.splitlines()) == 1, stdout
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_version_or_list_that_holds_shell_code_is_refused_and_never_run(
    tmp_path: Path, payload: str
) -> None:
    """The issue's attack: files and sums named for a version that holds code
    (the old script's `unset "compared[${name}]"` ran it)."""
    version = f"1.0{payload}"
    dist = tmp_path / "dist"
    dist.mkdir()
    sums = []
    for name in (f"p-{version}.tar.gz", f"p-{version}-py3-none-any.whl"):
        (dist / name).write_bytes(b"\x1f\x8b" if name.endswith("gz") else b"PK\3\4")
        sums.append(f"{hashlib.sha256((dist / name).read_bytes()).hexdigest()}  {name}")
    (tmp_path / "SUMS").write_text("\n".join(sums) + "\n")
    status, stdout = check_dist(tmp_path, version, "dist", "--sha256sums", "SUMS")
    assert status == 1 and len(stdout.splitlines()) == 1, stdout
    assert stdout.startswith("::error::not a version: ")
    # The benign version with a hostile name in the list alone.
    dist_with(tmp_path / "again", [])
    listed = tmp_path / "again" / "SUMS"
    listed.write_text(f"{'0' * 64}  p-1.0{payload}.whl\n")
    status, stdout = check_dist(
        tmp_path / "again", "1.0", "dist", "--sha256sums", "SUMS"
    )
    assert status == 1 and len(stdout.splitlines()) == 1, stdout
    assert stdout.startswith("::error::not a line of sha256sum's output")
    assert not list(tmp_path.rglob("PWNED"))


def test_the_compare_step_never_runs_what_the_lists_say(
    renders: Renders, tmp_path: Path
) -> None:
    """The compare job's lists are job outputs a tampered build runner may
    fill with anything: they are compared as text and never run."""
    project = renders(representative(publishing_tool="pypa-action"))
    jobs = load_yaml(project / ".github/workflows/publish.yml")["jobs"]
    (step,) = jobs["compare"]["steps"]
    honest = f"{'0' * 64}  p-1.0.tar.gz"
    for built in (*PAYLOADS, f"{honest}\n$(touch PWNED)", ""):
        result = run(
            *STEP_SHELL,
            str(step["run"]),
            cwd=tmp_path,
            env={"BUILT": built, "REBUILT": honest},
            check=False,
        )
        assert result.returncode == 1, built
        assert result.stdout.startswith("::error::the two builds made other files")
    assert not (tmp_path / "PWNED").exists()
