#!/usr/bin/env bash
# compare-dist.sh BUILT REBUILT [--sdist-contents]
#
# Passes only when REBUILT holds the same file names as BUILT and each file
# has the same sha256: the release's bytes are the bytes of the tagged source.
# --sdist-contents (for a backend whose sdists are not reproducible, such as
# setuptools, which dates entries from the checkout's files): the sdists must
# hold the same members with the same contents; their dates and owners are
# not compared, and the job says so.
set -euo pipefail
shopt -s nullglob

built="${1:?usage: compare-dist.sh BUILT REBUILT [--sdist-contents]}"
rebuilt="${2:?usage: compare-dist.sh BUILT REBUILT [--sdist-contents]}"
sdist_contents="${3:-}"

names() { (cd "$1" && printf '%s\n' *.tar.gz *.whl | sort); }
digest() { sha256sum "$1" | cut -d' ' -f1; }

if [ "$(names "${built}")" != "$(names "${rebuilt}")" ]; then
  printf '::error::the rebuild made other files: built %q, rebuilt %q\n' \
    "$(names "${built}" | tr '\n' ' ')" "$(names "${rebuilt}" | tr '\n' ' ')"
  exit 1
fi
failed=0
while IFS= read -r name; do
  ours="$(digest "${built}/${name}")"
  theirs="$(digest "${rebuilt}/${name}")"
  if [ "${ours}" = "${theirs}" ]; then
    echo "reproduced ${name} sha256:${ours}"
  elif [ "${sdist_contents}" = "--sdist-contents" ] && [[ "${name}" == *.tar.gz ]]; then
    scratch="$(mktemp -d)"
    mkdir "${scratch}/built" "${scratch}/rebuilt"
    tar -xzf "${built}/${name}" -C "${scratch}/built"
    tar -xzf "${rebuilt}/${name}" -C "${scratch}/rebuilt"
    if diff -r "${scratch}/built" "${scratch}/rebuilt" > /dev/null; then
      echo "::warning::${name}: same members and contents, other bytes (the backend does not date sdist entries reproducibly): built sha256:${ours}, rebuilt sha256:${theirs}"
    else
      echo "::error::${name} differs in its contents: built sha256:${ours}, rebuilt sha256:${theirs}"
      failed=1
    fi
    rm -rf "${scratch}"
  else
    echo "::error::${name} differs: built sha256:${ours}, rebuilt sha256:${theirs}"
    failed=1
  fi
done < <(names "${built}")
exit "${failed}"
