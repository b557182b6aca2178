#!/usr/bin/env bash
# build-dist.sh [VERSION]
#
# Builds the sdist and the wheel of the checked-out commit into dist/, as
# VERSION when the project takes its version from the release tag. The
# build and rebuild jobs both run it, on two runners: the compare job then
# requires the same bytes from both.
set -euo pipefail

# Date the archives' entries from the released commit, so that building this
# commit again gives the same bytes.
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"
export SOURCE_DATE_EPOCH
if [ -n "${1:-}" ]; then
  # hatch-vcs and setuptools-scm read it: the tag's version, whatever tags the
  # checkout holds.
  export SETUPTOOLS_SCM_PRETEND_VERSION="$1"
fi
# Only the backend pinned by hash in build-constraints.txt builds a release
# (the package, not uv's built-in copy: a rebuild with another uv gives the
# same bytes), and only from wheels: with --no-build, a wheel whose hash does
# not match fails the build instead of building the backend from its sdist.
uv build --no-sources --force-pep517 --require-hashes --no-build \
  --build-constraints .github/release-requirements/build-constraints.txt \
  --out-dir dist
# uv marks the folder it made as ignored by git: not a release file, and no
# check skips one.
rm -f dist/.gitignore
# Whatever the backend, the sdist is rewritten deterministically (setuptools
# dates its entries from the checkout's files and its gzip header from the
# clock); it says which bytes are the release's, as uv's "Successfully built"
# above is of the sdist before this.
python3 -I .github/scripts/normalize-sdist.py dist/*.tar.gz
