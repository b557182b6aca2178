"""normalize-sdist.py FILE...

Rewrites each sdist (a gzipped tar archive) in place so that one commit gives
the same bytes on every machine, whichever backend built it: setuptools dates
the entries from the checkout's files and the gzip header from the clock.

Members keep their archive order, names and contents; each is dated
SOURCE_DATE_EPOCH (from the environment: the commit's date), owned by uid and
gid 0 with no owner names, mode 0o644, or 0o755 for a folder or a file with
any execute bit. The tar carries no PAX record but those tarfile must write
(a long or non-ASCII name); the gzip header has SOURCE_DATE_EPOCH as its date,
no file name, comment or extra field, and the data is compressed at level 9.
An archive holding anything but regular files and folders (a link, a
device), or not readable as a gzipped tar, is refused in one line and no
file is written. The release's build and rebuild both run it:

    python3 -I .github/scripts/normalize-sdist.py dist/*.tar.gz

Standard library only: it runs on the runner's Python, and the rebuild of a
consumer's verifier runs the released commit's copy.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import sys
import tarfile
import zlib
from pathlib import Path

LEVEL = 9
# gzip's header (RFC 1952) for a deflated member with no optional fields;
# XFL 2 says "maximum compression", OS 255 "unknown", as Python's gzip writes.
HEADER = struct.Struct("<4sIBB")
MAGIC_DEFLATE_NO_FLAGS = b"\x1f\x8b\x08\x00"
EXTRA_FLAGS, OS_UNKNOWN = 2, 255
# What a tar may unpack to here: far above any sdist, below a machine's memory.
MAX_UNPACKED = 1024 * 1024 * 1024
FILE_MODE, EXECUTABLE_MODE = 0o644, 0o755


class Refused(Exception):
    """A one-line reason why a file is not normalized."""


def source_date_epoch() -> int:
    text = os.environ.get("SOURCE_DATE_EPOCH", "")
    # gzip dates are 32-bit: 2106 is the last year either format can hold.
    if not text.isascii() or not text.isdigit() or int(text) >= 1 << 32:
        raise Refused(f"SOURCE_DATE_EPOCH={text!r} is not a date in seconds")
    return int(text)


def normalized_member(member: tarfile.TarInfo, epoch: int) -> tarfile.TarInfo:
    if not (member.isfile() or member.isdir()):
        raise Refused(f"{member.name!r} is neither a regular file nor a folder")
    try:
        member.name.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"{member.name!r} is not a UTF-8 name") from None
    info = tarfile.TarInfo(member.name)
    info.type = tarfile.DIRTYPE if member.isdir() else tarfile.REGTYPE
    info.size = member.size if member.isfile() else 0
    executable = member.isdir() or member.mode & 0o111
    info.mode = EXECUTABLE_MODE if executable else FILE_MODE
    info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
    return info


def normalized_tar(data: bytes, epoch: int) -> bytes:
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive,
        tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as written,
    ):
        for member in archive:
            file = archive.extractfile(member) if member.isfile() else None
            written.addfile(normalized_member(member, epoch), file)
    return out.getvalue()


def gunzip(data: bytes) -> bytes:
    """Every gzip member's data, at most MAX_UNPACKED bytes."""
    unpacked = bytearray()
    while data:
        inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        unpacked += inflate.decompress(data, MAX_UNPACKED + 1 - len(unpacked))
        if len(unpacked) > MAX_UNPACKED or inflate.unconsumed_tail:
            raise Refused(f"unpacks to more than {MAX_UNPACKED} bytes")
        if not inflate.eof:
            raise Refused("the gzip data is cut short")
        data = inflate.unused_data
    return bytes(unpacked)


def gzipped(data: bytes, epoch: int) -> bytes:
    header = HEADER.pack(MAGIC_DEFLATE_NO_FLAGS, epoch, EXTRA_FLAGS, OS_UNKNOWN)
    body = zlib.compress(data, level=LEVEL, wbits=-zlib.MAX_WBITS)
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) % (1 << 32))


def normalized(data: bytes, epoch: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        raise Refused("not a gzip file")
    try:
        return gzipped(normalized_tar(gunzip(data), epoch), epoch)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        raise Refused(f"not a readable gzipped tar archive ({error})") from None


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: normalize-sdist.py FILE...", file=sys.stderr)
        return 2
    try:
        epoch = source_date_epoch()
    except Refused as error:
        print(f"normalize-sdist.py: {error}", file=sys.stderr)
        return 2
    # Every file is read and rewritten in memory before any is written.
    rewritten: dict[Path, tuple[bytes, bytes]] = {}
    for name in paths:
        try:
            original = Path(name).read_bytes()
            rewritten[Path(name)] = original, normalized(original, epoch)
        except OSError as error:
            return refuse(name, f"cannot be read: {error.strerror}")
        except Refused as error:
            return refuse(name, str(error))
        # Whatever else a hostile archive makes tarfile raise: one line too.
        except Exception as error:  # noqa: BLE001
            return refuse(name, f"unexpected {type(error).__name__}: {error}")
    for path, (original, data) in rewritten.items():
        try:
            path.write_bytes(data)
        except OSError as error:
            return refuse(str(path), f"cannot be written: {error.strerror}")
        what = "already normalized" if data == original else "normalized"
        print(f"{path}: {what}, sha256:{hashlib.sha256(data).hexdigest()}")
    return 0


def refuse(name: str, why: str) -> int:
    print(f"normalize-sdist.py: {name!r}: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
