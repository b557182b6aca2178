"""Byte-reproducible sdists: .github/scripts/normalize-sdist.py, which
build-dist.sh runs on every backend's sdist (and the verifier's rebuild on the
commit's). Two builds of one commit, from two clones whose files have other
dates, at least a second apart, give the same bytes; what the script refuses
it refuses in one line, writing nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import BACKENDS, LOCAL_UV, Builds, representative, run

SCRIPT = ".github/scripts/normalize-sdist.py"
EPOCH = 1748779200  # 2025-06-01 12:00 UTC


def digests(dist: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dist.glob("[!.]*"))
    }


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_clones_built_apart_give_the_same_bytes(
    renders: Any, builds: Builds, backend: str, tmp_path: Path
) -> None:
    built = builds(renders(representative(build_backend=backend)))
    clone = tmp_path / "clone"
    run("git", "clone", "--quiet", "--no-tags", built, clone)
    earlier = time.time() - 86400 * 400
    for path in clone.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (earlier, earlier))
    # Another second on the clock than the first build's.
    made = max(p.stat().st_mtime for p in (built / "dist").iterdir())
    time.sleep(max(0.0, made + 1.1 - time.time()))
    result = run("bash", ".github/scripts/build-dist.sh", cwd=clone, env=LOCAL_UV)
    assert digests(clone / "dist") == digests(built / "dist")
    (sdist,) = (clone / "dist").glob("*.tar.gz")
    # The last line is the normalizer's, of the bytes released.
    assert result.stdout.splitlines()[-1].endswith(
        f"sha256:{digests(clone / 'dist')[sdist.name]}"
    )


# --- The script on archives made here ------------------------------------------


@pytest.fixture(scope="module")
def script(renders: Any) -> Path:
    project: Path = renders()
    return project / SCRIPT


def normalize(
    script: Path, *files: Path, epoch: str = str(EPOCH)
) -> tuple[int, str, str]:
    env = {"SOURCE_DATE_EPOCH": epoch} if epoch else {}
    done = run(sys.executable, "-I", script, *files, env=env, check=False)
    return done.returncode, done.stdout, done.stderr


def sdist(
    path: Path, members: list[tarfile.TarInfo], *, name: str = "", date: float = 0
) -> Path:
    """A .tar.gz as a backend might write it: dated now, owned, a file name in
    its gzip header, members as given (a file's data is its name)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for member in members:
            data = member.name.encode() if member.isfile() else b""
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if member.isfile() else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("wb") as file,
        gzip.GzipFile(name or path.name, "wb", 9, file, date or None) as out,
    ):
        out.write(raw.getvalue())
    return path


def member(
    name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o600, date: float = 0
) -> Any:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, date or time.time()
    info.uid, info.gid, info.uname, info.gname = 1000, 1000, "ada", "staff"
    return info


def test_an_sdist_is_rewritten_deterministically(script: Path, tmp_path: Path) -> None:
    long = "pkg-1.0/" + "d" * 120 + "/x.py"
    names = ["pkg-1.0/", "pkg-1.0/run.sh", "pkg-1.0/b.py", "pkg-1.0/é.txt", long]
    members = [member(names[0], tarfile.DIRTYPE, 0o700), member(names[1], mode=0o744)]
    members += [member(n) for n in names[2:]]
    path = sdist(tmp_path / "pkg-1.0.tar.gz", members)
    code, out, err = normalize(script, path)
    assert (code, err) == (0, "")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    assert out == f"{path}: normalized, sha256:{sha256}\n"
    # The gzip header: dated SOURCE_DATE_EPOCH, no flags (no name, comment or
    # extra field), maximum compression; one member, nothing after it.
    assert data[:4] == b"\x1f\x8b\x08\x00"
    assert int.from_bytes(data[4:8], "little") == EPOCH
    assert data[8:10] == b"\x02\xff"
    tar = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        got = [
            (m.name, m.type, oct(m.mode), m.mtime, m.uid, m.gid, m.uname, m.gname)
            for m in archive
        ]
        contents = [f.read() for m in archive if (f := archive.extractfile(m))]
        pax = [m.pax_headers for m in archive]
    # Archive order kept; modes 0o644, or 0o755 for a folder or an executable.
    modes = ["0o755", "0o755", "0o644", "0o644", "0o644"]
    kinds = [tarfile.DIRTYPE] + [tarfile.REGTYPE] * 4
    assert got == [
        (n.rstrip("/"), k, m, EPOCH, 0, 0, "", "")
        for n, k, m in zip(names, kinds, modes, strict=True)
    ]
    assert contents == [n.encode() for n in names[1:]]
    # PAX records only where tarfile must write them: a non-ASCII or long name.
    assert pax == [{}, {}, {}, {"path": names[3]}, {"path": long}]
    # What it wrote is in its form: a second run changes nothing.
    code, out, _ = normalize(script, path)
    assert out == f"{path}: already normalized, sha256:{sha256}\n"
    assert path.read_bytes() == data


def test_the_same_members_give_the_same_bytes_whatever_their_dates(
    script: Path, tmp_path: Path
) -> None:
    # Two backends' or two machines' sdists, dated a day apart.
    first, second = (
        sdist(tmp_path / n / "p-1.tar.gz", [member("p-1/x.py", date=d)], name=n, date=d)
        for n, d in (("a", EPOCH + 1), ("b", EPOCH + 86400))
    )
    assert first.read_bytes() != second.read_bytes()
    assert normalize(script, first, second)[0] == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        (tarfile.SYMTYPE, "neither a regular file nor a folder"),
        (tarfile.LNKTYPE, "neither a regular file nor a folder"),
        (tarfile.CHRTYPE, "neither a regular file nor a folder"),
        (tarfile.FIFOTYPE, "neither a regular file nor a folder"),
    ],
)
def test_links_and_devices_are_refused_and_nothing_is_written(
    script: Path, tmp_path: Path, kind: bytes, what: str
) -> None:
    good = sdist(tmp_path / "good" / "p-1.tar.gz", [member("p-1/a.py")])
    bad = [member("p-1/a.py"), member("p-1/link", kind)]
    bad[1].linkname = "/etc/passwd"
    hostile = sdist(tmp_path / "p-1.tar.gz", bad)
    before = good.read_bytes(), hostile.read_bytes()
    code, out, err = normalize(script, good, hostile)
    assert (code, out) == (1, "")
    assert err == f"normalize-sdist.py: '{hostile}': 'p-1/link' is {what}\n"
    assert (good.read_bytes(), hostile.read_bytes()) == before


def test_what_is_not_a_gzipped_tar_is_refused_in_one_line(
    script: Path, tmp_path: Path
) -> None:
    whole = sdist(tmp_path / "p-1.tar.gz", [member("p-1/a.py")]).read_bytes()
    cases = {
        "plain.tar.gz": (b"not gzip", "not a gzip file"),
        "cut.tar.gz": (whole[: len(whole) // 2], "the gzip data is cut short"),
        "junk.tar.gz": (whole + b"junk", "not a readable gzipped tar archive"),
        "notar.tar.gz": (gzip.compress(b"x" * 600), "not a readable gzipped tar"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        code, out, err = normalize(script, tmp_path / name)
        assert (code, out) == (1, ""), name
        assert err.startswith(f"normalize-sdist.py: '{tmp_path / name}': {message}")
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert (tmp_path / name).read_bytes() == data
    code, _, err = normalize(script, tmp_path / "missing.tar.gz")
    assert (code, err) == (
        1,
        f"normalize-sdist.py: '{tmp_path / 'missing.tar.gz'}': cannot be read: "
        "No such file or directory\n",
    )


@pytest.mark.parametrize(
    ("epoch", "accepted"),
    [
        ("4294967295", True),
        ("4294967296", False),
        ("", False),
        ("-1", False),
        ("1.5", False),
        ("١٢", False),
    ],
)
def test_source_date_epoch_at_the_edge_of_the_gzip_date(
    script: Path, tmp_path: Path, epoch: str, accepted: bool
) -> None:
    path = sdist(tmp_path / "p-1.tar.gz", [member("p-1/a.py")])
    before = path.read_bytes()
    code, out, err = normalize(script, path, epoch=epoch)
    if accepted:
        assert code == 0 and path.read_bytes()[4:8] == b"\xff\xff\xff\xff"
    else:
        assert (code, out, path.read_bytes()) == (2, "", before)
        assert err == (
            f"normalize-sdist.py: SOURCE_DATE_EPOCH={epoch!r} is not a date in "
            "seconds\n"
        )


def test_no_file_is_a_usage_error(script: Path) -> None:
    assert normalize(script) == (2, "", "usage: normalize-sdist.py FILE...\n")
