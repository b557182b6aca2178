"""`verify_attestations.py rebuild`: build the attested commit again, compare.

A rendered project's files cannot be signed here (no GitHub), so the parts are
tested where they can be: reading the source from a certificate on the real
fixture (trailofbits/pypi-attestations), and rebuilding end to end on a
rendered project built by its own publish workflow's build job, with the
commit named by --commit and cloned from the local repository (--source),
from local files and from an index served on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import struct
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest

from conftest import (
    LOCAL_UV,
    Builds,
    import_script,
    job_run_steps,
    representative,
    run,
    shared_data,
)
from local_index import FakeIndex

REAL = "trailofbits/pypi-attestations"
REAL_SDIST = "pypi_attestations-0.0.19.tar.gz"
# What the fixture's certificate says it was built from.
REAL_SOURCE = f"https://github.com/{REAL}"
REAL_COMMIT = "08802efe1f8e5fec4ad842d6b8ce97656092ee72"
REAL_IDENTITY = [
    "--package",
    "pypi-attestations",
    "--repository",
    REAL,
    "--workflow",
    "release.yml",
    "--environment",
    "",
    "--offline",
]
SDIST = "acme_widget_tools-0.1.0.tar.gz"
WHEEL = "acme_widget_tools-0.1.0-py3-none-any.whl"


class Outcome(NamedTuple):
    code: int
    out: str
    err: str

    def line(self, name: str) -> str:
        (found,) = [ln for ln in self.out.splitlines() if f" {name}: " in ln]
        return found


@pytest.fixture(scope="module")
def verify(renders: Any) -> ModuleType:
    return import_script(renders() / "scripts" / "verify_attestations.py")


@pytest.fixture
def cli(
    verify: ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Outcome]:
    """main() in this process, as a consumer would run it."""
    monkeypatch.setattr(verify, "RETRY_DELAYS", (0.0, 0.0))
    for name, value in LOCAL_UV.items():
        monkeypatch.setenv(name, value)

    def call(*argv: str | Path) -> Outcome:
        capsys.readouterr()
        code = verify.main(["rebuild", *(str(a) for a in argv)])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return call


# --- The source a certificate names (real fixture) -------------------------------


@pytest.fixture
def real_dist(tmp_path: Path) -> Path:
    fixtures = shared_data("fixtures/attestations")
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in (REAL_SDIST, REAL_SDIST + ".publish.attestation"):
        shutil.copyfile(fixtures / name, dist / name)
    return dist


def test_certificate_names_the_repository_and_commit(
    verify: ModuleType, real_dist: Path
) -> None:
    attestation = verify.load_attestation(
        (real_dist / (REAL_SDIST + ".publish.attestation")).read_bytes()
    )
    assert verify.attested_source([attestation]) == verify.SourceCommit(
        REAL_SOURCE, REAL_COMMIT
    )


def test_verified_file_is_cloned_from_the_certified_commit(
    cli: Callable[..., Outcome], real_dist: Path, tmp_path: Path
) -> None:
    # No GitHub here: the clone from an empty mirror fails, after the
    # attestation verified, naming the commit the certificate names.
    mirror = tmp_path / "mirror"
    run("git", "init", "--quiet", mirror)
    result = cli("--dist", real_dist, *REAL_IDENTITY, "--source", mirror)
    assert result.code == 2
    assert result.line(REAL_SDIST).startswith(
        f"error {REAL_SDIST}: fetching commit {REAL_COMMIT} from {mirror} failed: "
    )
    (entry,) = json.loads(
        cli("--dist", real_dist, *REAL_IDENTITY, "--source", mirror, "--json").out
    )["files"]
    assert (entry["repository"], entry["commit"]) == (REAL_SOURCE, REAL_COMMIT)


def test_release_file_is_cloned_from_the_commit_its_provenance_names(
    cli: Callable[..., Outcome], index: FakeIndex, tmp_path: Path
) -> None:
    fixtures = shared_data("fixtures/attestations")
    index.add(
        REAL_SDIST,
        (fixtures / REAL_SDIST).read_bytes(),
        (fixtures / (REAL_SDIST + ".provenance")).read_bytes(),
    )
    mirror = tmp_path / "mirror"
    run("git", "init", "--quiet", mirror)
    result = cli(
        "0.0.19",
        "--index-url",
        index.simple,
        "--insecure-local-index",
        *REAL_IDENTITY,
        "--source",
        mirror,
    )
    assert result.code == 2
    assert result.line(REAL_SDIST).startswith(
        f"error {REAL_SDIST}: fetching commit {REAL_COMMIT} from {mirror} failed: "
    )
    assert result.out.startswith(
        "Rebuilding pypi-attestations 0.0.19 from the index: attestations checked "
        f"against {REAL}, workflow release.yml"
    )


def test_attestation_naming_another_commit_is_not_rebuilt(
    cli: Callable[..., Outcome], real_dist: Path
) -> None:
    other = "1" * 40
    result = cli("--dist", real_dist, *REAL_IDENTITY, "--commit", other)
    assert result.code == 1
    assert result.line(REAL_SDIST) == (
        f"unverified {REAL_SDIST}: signed at commit {REAL_COMMIT}, expected {other}"
    )


def test_file_whose_attestation_fails_is_not_rebuilt(
    cli: Callable[..., Outcome], real_dist: Path
) -> None:
    identity = [a if a != "release.yml" else "other.yml" for a in REAL_IDENTITY]
    result = cli("--dist", real_dist, *identity)
    assert result.code == 1
    assert result.line(REAL_SDIST).startswith(
        f"unverified {REAL_SDIST}: signed by workflow release.yml"
    )


# --- Usage errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "rebuild takes VERSION (files from the index) or --dist DIR"),
        (("0.1.0", "--dist", "dist"), "rebuild takes VERSION (files from the index)"),
        (
            ("0.1.0", "--commit", "abc123"),
            "--commit 'abc123' is not a full commit hash",
        ),
        (("1.0!x",), "'1.0!x' is not a version"),
    ],
)
def test_usage_errors_are_one_line(
    renders: Any, argv: tuple[str, ...], message: str
) -> None:
    project = renders()
    script = project / "scripts/verify_attestations.py"
    result = run(
        sys.executable, script, "rebuild", *argv, "--offline", cwd=project, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1


def rebuild_unsigned(
    cli: Callable[..., Outcome], directory: Path, project: Path
) -> Outcome:
    """rebuild --dist of files without attestations, from a stand-in commit."""
    return cli(
        "--dist",
        directory,
        "--commit",
        "1" * 40,
        "--source",
        directory,
        "--pyproject",
        project / "pyproject.toml",
    )


def test_file_that_is_not_a_distribution_is_not_rebuilt(
    cli: Callable[..., Outcome], renders: Any, tmp_path: Path
) -> None:
    project = renders()
    (tmp_path / "acme_widget_tools.whl").write_bytes(b"PK")
    (tmp_path / "other-0.1.0.tar.gz").write_bytes(b"")
    result = rebuild_unsigned(cli, tmp_path, project)
    assert result.code == 1
    assert result.line("acme_widget_tools.whl").startswith(
        "unverified acme_widget_tools.whl: not a valid distribution file name: "
    )
    assert result.line("other-0.1.0.tar.gz") == (
        "unverified other-0.1.0.tar.gz: belongs to project other, not acme-widget-tools"
    )


def committed_without(released: Path, path: str, source: Path) -> Path:
    """A clone of the released commit with one more commit that deletes `path`."""
    run("git", "clone", "--quiet", released, source)
    run("git", "rm", "--quiet", path, cwd=source)
    run("git", "commit", "--quiet", "-m", f"without {path}", cwd=source)
    return source


@pytest.mark.slow
def test_commit_that_cannot_be_built_as_pinned_is_a_build_error(
    cli: Callable[..., Outcome], builds: Builds, renders: Any, tmp_path: Path
) -> None:
    released = builds(renders(representative(build_backend="hatchling")))
    constraints = ".github/release-requirements/build-constraints.txt"
    source = committed_without(released, constraints, tmp_path / "source")
    commit = head(source)
    args = ["--dist", released / "dist", "--commit", commit, "--source", source]
    args += ["--pyproject", released / "pyproject.toml"]
    result = cli(*args)
    assert result.code == 2
    assert result.line(WHEEL) == (
        f"error {WHEEL}: commit {commit} has no "
        ".github/release-requirements/build-constraints.txt: it does not pin its "
        "build requirements, so it cannot be rebuilt as it was built"
    )
    # Pins whose hashes are not the packages': uv refuses, in one line.
    run("git", "checkout", "--quiet", "HEAD~1", "--", constraints, cwd=source)
    pins = source / constraints
    pins.write_text(
        re.sub(
            r"(--hash=sha256:)([0-9a-f])",
            lambda m: m[1] + ("1" if m[2] == "0" else "0"),
            pins.read_text(),
        )
    )
    run("git", "commit", "--quiet", "--all", "-m", "a wrong hash", cwd=source)
    commit = head(source)
    result = cli(*args[:2], "--commit", commit, *args[4:])
    assert result.code == 2
    line = result.line(WHEEL)
    assert line.startswith(
        f"error {WHEEL}: uv build of commit {commit} failed: Failed to build `"
    )
    assert re.search(r"/source` \(Hash mismatch for `[^`]+==[^`]+`\)$", line), line


# --- End to end on a rendered project -----------------------------------------------


def test_rebuild_builds_as_the_publish_workflow_does(
    verify: ModuleType, renders: Any
) -> None:
    # The build job runs the project's build script, which the rebuild follows.
    project = renders()
    steps = job_run_steps(project / ".github/workflows/publish.yml", "build")
    (build,) = [s for s in steps if "build-dist.sh" in s.script]
    script = project / build.script.split()[1]
    command = " ".join(script.read_text().replace("\\\n", " ").split())
    assert "uv " + " ".join(verify.BUILD_COMMAND) in command
    assert 'SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"' in command
    # Then the commit's own normalizer, which the rebuild runs too.
    assert f"python3 -I {verify.NORMALIZER} dist/*.tar.gz" in command


def head(repository: Path) -> str:
    return run("git", "rev-parse", "HEAD", cwd=repository).stdout.strip()


class Released(NamedTuple):
    """A rendered project's release: its git repository (with the build job's
    dist/) and the command-line arguments that name it."""

    checkout: Path
    args: list[str]


def released(builds: Builds, renders: Any, backend: str) -> Released:
    checkout = builds(renders(representative(build_backend=backend)))
    return Released(
        checkout,
        [
            "--commit",
            head(checkout),
            "--source",
            str(checkout),
            "--pyproject",
            str(checkout / "pyproject.toml"),
        ],
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tamper(wheel: Path, member: str) -> None:
    """Rewrite one member of a wheel, as a compromised build step could."""
    original = wheel.read_bytes()
    with (
        zipfile.ZipFile(wheel.with_suffix(".orig"), "w") as out,
        zipfile.ZipFile(wheel) as archive,
    ):
        for info in archive.infolist():
            data = archive.read(info)
            out.writestr(
                info, data + b"import os\n" if info.filename == member else data
            )
    wheel.with_suffix(".orig").replace(wheel)
    assert wheel.read_bytes() != original


@pytest.mark.slow
def test_release_on_the_index_reproduces_and_a_tampered_file_differs(
    cli: Callable[..., Outcome],
    builds: Builds,
    renders: Any,
    index: FakeIndex,
    tmp_path: Path,
) -> None:
    release = released(builds, renders, "hatchling")
    dist = tmp_path / "published"
    shutil.copytree(
        release.checkout / "dist", dist, ignore=shutil.ignore_patterns(".*")
    )
    tamper(dist / WHEEL, "acme_widget_tools/__init__.py")
    index.project = "acme-widget-tools"
    for name in (SDIST, WHEEL):
        index.add(name, (dist / name).read_bytes(), None)
    result = cli(
        "0.1.0",
        "--index-url",
        index.simple,
        "--insecure-local-index",
        *release.args,
        "--offline",
    )
    assert result.code == 1, result.out
    commit = head(release.checkout)
    assert result.line(SDIST).startswith(f"reproduced {SDIST}: sha256:")
    assert f"@ {commit} (cloned from {release.checkout}); no attestation" in (
        result.line(SDIST)
    )
    published = sha256_of(dist / WHEEL)
    rebuilt = sha256_of(release.checkout / "dist" / WHEEL)
    assert result.line(WHEEL) == (
        f"differs {WHEEL}: first differing member acme_widget_tools/__init__.py: "
        f"its contents differ; published sha256:{published}, rebuilt "
        f"sha256:{rebuilt}"
    )
    assert "2 files: 1 reproduced, 1 differ." in result.out
    assert (
        "2 files without an attestation rebuilt from --commit "
        f"{commit}: who published them was not checked."
    ) in result.out
    data = json.loads(
        cli(
            "0.1.0",
            "--index-url",
            index.simple,
            "--insecure-local-index",
            *release.args,
            "--offline",
            "--json",
        ).out
    )
    entry = {f["file"]: f for f in data["files"]}[WHEEL]
    assert (entry["status"], entry["member"], entry["contents_match"]) == (
        "differs",
        "acme_widget_tools/__init__.py",
        False,
    )
    assert (entry["sha256"], entry["rebuilt_sha256"]) == (published, rebuilt)
    assert data["exit_code"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["setuptools", "uv_build"])
def test_every_backends_sdist_is_reproduced_byte_for_byte(
    cli: Callable[..., Outcome], builds: Builds, renders: Any, backend: str
) -> None:
    # The build job's checkout and the rebuild's fresh clone date their files
    # differently, and build at other times: the commit's normalize-sdist.py
    # makes the same bytes (hatchling: the index test above).
    release = released(builds, renders, backend)
    dist = release.checkout / "dist"
    made = max(p.stat().st_mtime for p in dist.iterdir())
    time.sleep(max(0.0, made + 1.1 - time.time()))  # another second on the clock
    result = cli("--dist", dist, *release.args, "--offline", "--json")
    files = {f["file"]: f for f in json.loads(result.out)["files"]}
    assert result.code == 0, result.out
    for name in (SDIST, WHEEL):
        assert files[name]["status"] == "reproduced"
        assert files[name]["compared"] == "bytes"
        assert files[name]["rebuilt_sha256"] == sha256_of(dist / name)


@pytest.mark.slow
def test_a_commit_without_the_normalizer_is_built_as_it_was(
    cli: Callable[..., Outcome], builds: Builds, renders: Any, tmp_path: Path
) -> None:
    # A commit from before the template had normalize-sdist.py: its sdist is
    # compared as uv_build made it (undated, with PAX records), so the
    # released (normalized) one differs, and says how.
    released = builds(renders(representative(build_backend="uv_build")))
    normalizer = ".github/scripts/normalize-sdist.py"
    source = committed_without(released, normalizer, tmp_path / "source")
    args = ["--dist", released / "dist", "--commit", head(source), "--source", source]
    result = cli(*args, "--pyproject", released / "pyproject.toml", "--offline")
    assert result.code == 1, result.out
    assert result.line(WHEEL).startswith(f"reproduced {WHEEL}: sha256:")
    assert result.line(SDIST).startswith(
        f"differs {SDIST}: first differing member acme_widget_tools-0.1.0/"
    )
    assert ": same contents, other date" in result.line(SDIST), result.line(SDIST)


# --- An sdist gzipped otherwise ---------------------------------------------------


@pytest.fixture(scope="module")
def setuptools_rebuilt(
    verify: ModuleType,
    builds: Builds,
    renders: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Any, str]:
    """The setuptools release's sdist, and the verifier's own rebuild of its
    commit: (published sdist, Rebuilt, the commit's source)."""
    checkout = builds(renders(representative(build_backend="setuptools")))
    workdir = tmp_path_factory.mktemp("rebuilt")
    source = verify.SourceCommit(
        "https://github.com/acme-corp/widget-tools", head(checkout)
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in LOCAL_UV.items():
            patch.setenv(name, value)
        rebuilt = verify.build_source(
            source, "0.1.0", str(checkout), workdir, verify.tool_path("uv")
        )
    return checkout / "dist" / SDIST, rebuilt, source


def gzip_member(tar: bytes, header: bytes, level: int = 9) -> bytes:
    """One gzip member of `tar` behind `header`, deflated at `level`."""
    deflated = zlib.compress(tar, level=level, wbits=-zlib.MAX_WBITS)
    return header + deflated + struct.pack("<II", zlib.crc32(tar), len(tar))


def with_flag(header: bytes, flag: int, field: bytes) -> bytes:
    """The 10-byte header with a flag set and its optional field after it."""
    return header[:3] + bytes([header[3] | flag]) + header[4:10] + field


def with_pax_record(tar: bytes) -> bytes:
    """The same tar, one member carrying an extra PAX record."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(tar)) as archive,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as written,
    ):
        for number, member in enumerate(archive):
            if number == 1:
                member.pax_headers = {"comment": "x" * 900}
            data = archive.extractfile(member) if member.isfile() else None
            written.addfile(member, data)
    return out.getvalue()


def members_of(sdist: bytes) -> list[tuple[str, bytes | None]]:
    with tarfile.open(fileobj=io.BytesIO(sdist)) as archive:
        return [
            (m.name, f.read() if (f := archive.extractfile(m)) else None)
            for m in archive
        ]


def published_as(
    verify: ModuleType, rebuilt: tuple[Path, Any, Any], tmp_path: Path, data: bytes
) -> Any:
    """compare() of these bytes, published under the sdist's name."""
    original, done, source = rebuilt
    path = tmp_path / SDIST
    path.write_bytes(data)
    candidate = verify.Candidate(SDIST, path, source, "signed")
    return verify.compare(candidate, done, str(original.parent))


def test_an_sdist_compressed_otherwise_is_reproduced_and_says_why(
    verify: ModuleType, setuptools_rebuilt: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    # Another zlib deflates the same tar into other bytes, behind the same
    # canonical header: here, the same tar at another level.
    original = setuptools_rebuilt[0].read_bytes()
    tar, header = gzip.decompress(original), original[:10]
    recompressed = gzip_member(tar, header, level=1)
    assert recompressed != original
    result = published_as(verify, setuptools_rebuilt, tmp_path, recompressed)
    assert result.status == "reproduced", result.reason
    assert result.reason.startswith(
        "the decompressed archive is identical byte for byte (tar sha256:"
        f"{hashlib.sha256(tar).hexdigest()}) and the gzip header canonical; only "
        "the compression differs (such as another zlib's); published sha256:"
    )
    assert result.details["compared"] == "archive"


@pytest.mark.parametrize(
    ("attack", "difference"),
    [
        (
            "comment",
            "the decompressed archive is identical byte for byte, but the "
            "published file's gzip header holds a comment",
        ),
        ("extra", "published file's gzip header holds an extra field"),
        ("second member", "gzip data is followed by a second gzip member"),
        ("trailing bytes", "gzip data is followed by 4 bytes"),
        ("date", "published file's gzip header is dated 1, not the commit's "),
        ("pax record", "same contents, other PAX records"),
    ],
)
def test_an_sdist_gzipped_or_archived_otherwise_differs(
    verify: ModuleType,
    setuptools_rebuilt: tuple[Path, Any, Any],
    tmp_path: Path,
    attack: str,
    difference: str,
) -> None:
    original = setuptools_rebuilt[0].read_bytes()
    tar, header = gzip.decompress(original), original[:10]
    data = {
        "comment": lambda: gzip_member(tar, with_flag(header, 16, b"c" * 900 + b"\0")),
        "extra": lambda: gzip_member(tar, with_flag(header, 4, b"\x04\0AB\0\0")),
        "second member": lambda: original + gzip.compress(b"payload", mtime=0),
        "trailing bytes": lambda: original + b"junk",
        "date": lambda: gzip_member(tar, header[:4] + b"\1\0\0\0" + header[8:]),
        "pax record": lambda: gzip_member(with_pax_record(tar), header),
    }[attack]()
    # What an installer unpacks is the same (tarfile stops at the archive's
    # end): only the bytes tell.
    assert members_of(data) == members_of(original)
    result = published_as(verify, setuptools_rebuilt, tmp_path, data)
    assert result.status == "differs"
    assert difference in result.reason, result.reason


# --- Hostile published files ------------------------------------------------------


def encrypted_wheel(path: Path) -> Path:
    """A wheel whose one member claims to be encrypted: zipfile refuses it."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pkg/__init__.py", "")
    data = bytearray(path.read_bytes())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + flags_at
        data[at] |= 1
    path.write_bytes(bytes(data))
    return path


def long_name_sdist(path: Path, size: int) -> Path:
    """A small .tar.gz whose one GNU long-name header is `size` bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("x" * size)
        archive.addfile(info, io.BytesIO(b""))
    path.write_bytes(gzip.compress(raw.getvalue()))
    return path


def test_an_unreadable_archive_is_a_difference_not_a_crash(
    verify: ModuleType, tmp_path: Path
) -> None:
    wheel = encrypted_wheel(tmp_path / "pkg-1.0-py3-none-any.whl")
    with pytest.raises(ValueError, match="is not a readable archive"):
        verify.archive_members(wheel, wheel.name)


def test_an_archive_that_unpacks_too_large_is_refused_unread(
    verify: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The bound is lowered so that the test stays small; the file is a few
    # kilobytes either way.
    monkeypatch.setattr(verify, "MAX_UNPACKED", 1024 * 1024)
    sdist = long_name_sdist(tmp_path / "pkg-1.0.tar.gz", 4 * 1024 * 1024)
    assert sdist.stat().st_size < 64 * 1024
    with pytest.raises(ValueError, match="unpacks to more than"):
        verify.archive_members(sdist, sdist.name)


def test_no_line_of_the_rebuild_report_can_be_a_workflow_command(
    cli: Callable[..., Outcome], renders: Any, tmp_path: Path
) -> None:
    project = renders()
    name = "x\n::error::pwned-0.1.0.tar.gz"
    (tmp_path / name).write_bytes(b"")
    result = rebuild_unsigned(cli, tmp_path, project)
    assert result.code == 1
    assert not [line for line in result.out.splitlines() if line.startswith("::")]
    assert "x\\n::error::pwned-0.1.0.tar.gz" in result.out


# --- The bounds on what a published archive may unpack to -------------------------


def wheel_of(path: Path, sizes: list[int]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for number, size in enumerate(sizes):
            archive.writestr(f"pkg/m{number}", b"x" * size)
    return path


def sdist_of(path: Path, members: int) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for number in range(members):
            archive.addfile(tarfile.TarInfo(f"pkg-1.0/m{number}"), io.BytesIO(b""))
    path.write_bytes(gzip.compress(raw.getvalue()))
    return path


@pytest.mark.parametrize("kind", ["whl", "tar.gz"])
def test_member_count_at_the_bound_and_one_past(
    verify: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str
) -> None:
    monkeypatch.setattr(verify, "MAX_MEMBERS", 3)
    for members, readable in ((3, True), (4, False)):
        path = tmp_path / f"pkg-{members}.{kind}"
        if kind == "whl":
            wheel_of(path, [0] * members)
        else:
            sdist_of(path, members)
        if readable:
            assert len(verify.archive_members(path, path.name)) == members
        else:
            with pytest.raises(ValueError, match="not a readable archive"):
                verify.archive_members(path, path.name)


def test_wheel_unpacked_size_at_the_bound_and_one_past(
    verify: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(verify, "MAX_UNPACKED", 1000)
    wheel = wheel_of(tmp_path / "at.whl", [600, 400])
    assert len(verify.archive_members(wheel, wheel.name)) == 2
    wheel = wheel_of(tmp_path / "past.whl", [600, 401])
    with pytest.raises(ValueError, match="1001 bytes unpacked"):
        verify.archive_members(wheel, wheel.name)


def test_a_file_that_differs_wins_over_one_not_rebuilt(verify: ModuleType) -> None:
    # As in release: 1 (evidence against a file) over 2 (could not check).
    identity = verify.Identity(REAL, "release.yml", "")
    report = verify.Report("rebuild", "pypi-attestations", identity, "production", True)
    report.files = [verify.FileResult("a.whl", "error", "the build failed")]
    assert report.exit_code == 2
    report.files.append(verify.FileResult("b.tar.gz", "differs", "its contents"))
    assert report.exit_code == 1
    report.files[1] = verify.FileResult("b.tar.gz", "unverified", "signed by another")
    assert report.exit_code == 1
    report.files[1] = verify.FileResult("b.tar.gz", "reproduced", "sha256:…")
    report.pylock = verify.PylockResult("pylock.toml", "mismatch", "RED FLAG")
    assert report.exit_code == 1
