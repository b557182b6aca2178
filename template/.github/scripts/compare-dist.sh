#!/usr/bin/env bash
# compare-dist.sh BUILT REBUILT [--sdist-contents]
#
# Passes only when REBUILT holds the same file names as BUILT and each file
# has the same sha256: the release's bytes are the bytes of the tagged source.
# --sdist-contents (for a backend whose sdists are not reproducible, such as
# setuptools, which dates entries from the checkout's files): the sdists must
# hold the same members, in the same order, each with the same type, mode,
# size and sha256; only their dates and owners may differ, and the job says
# so. An sdist holding anything but regular files and folders, or data after
# its end-of-archive marker, fails.
set -euo pipefail
shopt -s nullglob dotglob

built="${1:?usage: compare-dist.sh BUILT REBUILT [--sdist-contents]}"
rebuilt="${2:?usage: compare-dist.sh BUILT REBUILT [--sdist-contents]}"
sdist_contents="${3:-}"

# Every entry, hidden ones included (but the .gitignore uv writes into the
# folders it builds into); each must be a plain file.
names() {
  local path
  for path in "$1"/*; do
    [ "${path##*/}" = .gitignore ] && continue
    if [ ! -f "${path}" ] || [ -L "${path}" ]; then
      printf '::error::not a plain file: %q\n' "${path}" >&2
      return 1
    fi
    printf '%s\n' "${path##*/}"
  done | LC_ALL=C sort
}
digest() { sha256sum "$1" | cut -d' ' -f1; }

# One line per member of an sdist: what an installer unpacks, without dates
# and owners.
members() {
  python3 - "$1" <<'PY'
import gzip, hashlib, io, sys, tarfile

try:
    data = gzip.decompress(open(sys.argv[1], "rb").read())
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            if not (member.isfile() or member.isdir()):
                sys.exit(f"{member.name!r} is neither a file nor a folder")
            content = archive.extractfile(member).read() if member.isfile() else b""
            print(ascii(member.name), "file" if member.isfile() else "dir",
                  oct(member.mode), member.size, hashlib.sha256(content).hexdigest())
        if data[archive.offset:].strip(b"\0"):
            sys.exit("data after the end of the archive")
except (OSError, EOFError, tarfile.TarError) as error:
    sys.exit(f"not a gzipped tar archive: {error}")
PY
}

built_names="$(names "${built}")"
rebuilt_names="$(names "${rebuilt}")"
if [ "${built_names}" != "${rebuilt_names}" ]; then
  printf '::error::the rebuild made other files: built %q, rebuilt %q\n' \
    "$(tr '\n' ' ' <<< "${built_names}")" "$(tr '\n' ' ' <<< "${rebuilt_names}")"
  exit 1
fi
failed=0
while IFS= read -r name; do
  ours="$(digest "${built}/${name}")"
  theirs="$(digest "${rebuilt}/${name}")"
  shown="$(printf '%q' "${name}")"
  if [ "${ours}" = "${theirs}" ]; then
    echo "reproduced ${shown} sha256:${ours}"
  elif [ "${sdist_contents}" = "--sdist-contents" ] && [[ "${name}" == *.tar.gz ]]; then
    built_members='' rebuilt_members='' # each set through ${side} below
    for side in built rebuilt; do
      if ! listing="$(members "${!side}/${name}" 2>&1)"; then
        # The last line is the reason the archive was refused.
        echo "::error::${shown} (${side}): ${listing##*$'\n'}"
        failed=1
        continue 2
      fi
      printf -v "${side}_members" '%s' "${listing}"
    done
    if [ "${built_members}" = "${rebuilt_members}" ]; then
      echo "::warning::${shown}: same members and contents, other bytes (the backend does not date sdist entries reproducibly): built sha256:${ours}, rebuilt sha256:${theirs}"
    else
      first="$(diff <(echo "${built_members}") <(echo "${rebuilt_members}") | grep -m1 '^[<>]' || true)"
      echo "::error::${shown} differs in its contents (first difference: ${first}): built sha256:${ours}, rebuilt sha256:${theirs}"
      failed=1
    fi
  else
    echo "::error::${shown} differs: built sha256:${ours}, rebuilt sha256:${theirs}"
    failed=1
  fi
done <<< "${built_names}"
exit "${failed}"
