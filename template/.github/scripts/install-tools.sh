#!/usr/bin/env bash
# install-tools.sh [REQUIREMENTS...]
#
# Every release job installs its tools with this script, so the install is
# written once. uv comes from its hash-pinned wheel (the runner's pip checks
# the sha256; --target needs no virtual environment); then uv installs each
# REQUIREMENTS file of .github/release-requirements/ into one virtual
# environment. Every package is pinned by version and sha256, nothing is built
# from an sdist and no dependency outside the files is installed; uv reads no
# configuration of the checkout ([tool.uv], uv.toml), which could name another
# index. Both go on the PATH of the job's later steps.
set -euo pipefail

requirements=.github/release-requirements
uv="${RUNNER_TEMP:?}/uv"
tools="${RUNNER_TEMP}/release-tools"

python3 -m pip install --quiet --disable-pip-version-check --target "${uv}" \
  --require-hashes --no-deps --only-binary=:all: --requirement "${requirements}/uv.txt"
echo "${uv}/bin" >> "${GITHUB_PATH:?}"
[ "$#" -gt 0 ] || exit 0

# One install of every file: a package pinned twice at two versions fails it,
# where one install after another would let the last file win.
files=()
for file in "$@"; do
  files+=(--requirement "${requirements}/${file}")
done
"${uv}/bin/uv" venv --no-config --quiet "${tools}"
"${uv}/bin/uv" pip install --no-config --quiet --python "${tools}" \
  --require-hashes --no-deps --only-binary=:all: "${files[@]}"
echo "${tools}/bin" >> "${GITHUB_PATH}"
