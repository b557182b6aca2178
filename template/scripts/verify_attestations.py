# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "packaging>=26",
#   "pydantic>=2.10,<3",
#   "pypi-attestations>=0.0.30,<0.1",
#   "pypi-simple>=1.6,<2",
#   "requests>=2.20,<3",
#   "sigstore>=4.5,<5",
# ]
#
# # uv compiles the environment it makes for the script once: every run then
# # starts from bytecode, even where PYTHONDONTWRITEBYTECODE is set (as in many
# # CI images), instead of compiling some 300 modules again (about 0.6 s).
# [tool.uv]
# compile-bytecode = true
# ///
"""Verify this package's PEP 740 attestations against its trusted publisher.

    uv run --script scripts/verify_attestations.py dist [DIR]
    uv run --script scripts/verify_attestations.py release VERSION
    uv run --script scripts/verify_attestations.py rebuild VERSION | --dist DIR

`dist` checks local files before they are uploaded: every wheel and sdist in
DIR must have a `<file>.publish.attestation` beside it, signed on Sigstore by
the expected GitHub repository and workflow for exactly that file. The
environment cannot be checked here.

`release` checks a published version on the index: every file must have
provenance (PEP 740), every attestation in it must verify against the
downloaded file and the expected repository and workflow, and the index's
record of the trusted publisher must name the expected repository, workflow
and environment. With --sha256sums FILE (sha256sum's format), the index
must hold exactly the files FILE lists, byte for byte.

`rebuild` proves what was published, not only who published it: after a
file verifies as in `release` (VERSION) or `dist` (--dist DIR), the commit
its certificate names is cloned alone and built as the publish workflow
builds it (uv build, the backend pinned by hash in the commit's build
constraints, SOURCE_DATE_EPOCH from the commit, then the commit's
normalize-sdist.py); each file is `reproduced` or `differs`, with the first
difference. An sdist of other bytes is reproduced only if its decompressed
archive is identical byte for byte and its gzip header canonical (another
zlib compresses differently), and the line says so. With --commit, every
attestation must name that commit, and a file without one is rebuilt from
it, unverified (for files never signed). It needs git and uv.

In every mode the certificate's ref must be the tag of the file's version
(refs/tags/v{version} by default: both of the template's triggers sign at the
tag); with --commit, the commit; with --repository-id, GitHub's numeric id of
the repository, which a deleted and re-created one of the same name lacks.
Owner and repository names are compared case-insensitively, as on GitHub.

What each mode can prove about the environment: a certificate made from a
GitHub Actions token records the repository, workflow file, ref and commit,
but does not record the GitHub environment (Fulcio has no field for it;
pypi-attestations' GitHubPublisher ignores it). So `dist` cannot check it;
`release` checks the publisher the index recorded in the provenance, whose
environment the index's trusted publisher required at upload time.

The expected identity is read from pyproject.toml (`[project] name`, and
`[tool.verify-attestations]`, written by the template); flags override it,
and a consumer without the project's files passes them all. With
--no-pyproject no file is read: every expected value is a flag.

Everything read is untrusted (each check below says what it refuses) and
answered in this script's words, one line per file, control characters
escaped, so that no name can become a GitHub Actions workflow command.

Exit status: 0 every file verified (or reproduced); 1 a file failed, lacks an
attestation or differs, or a --pylock file names another identity; 2 a usage,
network or index error (the index may not list a new release yet: try
again), or a clone or build error. 1 wins over 2: retrying cannot undo
evidence against a file.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast
from urllib.parse import urljoin, urlsplit

from packaging.utils import (
    NormalizedName,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

# pypi_attestations, sigstore, pydantic and requests are imported where they
# are used: nearly half a second of start-up that a rebuild of files without
# attestations (from --commit) does not need.
if TYPE_CHECKING:
    import requests
    from pypi_attestations import (
        Attestation,
        Distribution,
        GitHubPublisher,
        Provenance,
    )
    from pypi_simple import DistributionPackage, PyPISimple

# --- Models --------------------------------------------------------------------
ATTESTATION_SUFFIX = ".publish.attestation"
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB = "https://github.com/"
# Fulcio certificate extensions (sigstore/fulcio docs/oid-info.md): the
# library's GitHub policy checks the issuer, repository and workflow; the ref,
# commit and repository id are checked here, once the signature has verified.
OID_ISSUER = "1.3.6.1.4.1.57264.1.8"
OID_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"
OID_SOURCE_REPOSITORY_DIGEST = "1.3.6.1.4.1.57264.1.13"
OID_SOURCE_REPOSITORY_REF = "1.3.6.1.4.1.57264.1.14"
OID_SOURCE_REPOSITORY_IDENTIFIER = "1.3.6.1.4.1.57264.1.15"
OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"
CLAIMS = frozenset({OID_ISSUER, OID_BUILD_CONFIG_URI, OID_SOURCE_REPOSITORY_URI})
CLAIMS |= {OID_SOURCE_REPOSITORY_DIGEST, OID_SOURCE_REPOSITORY_REF}
CLAIMS |= {OID_SOURCE_REPOSITORY_IDENTIFIER}
# An attestation is about 10 kB, a provenance object holds a few: anything
# larger is refused unread, so a hostile index or file cannot feed the parser.
MAX_DOCUMENT = 1024 * 1024
# What a published archive may unpack to before it is refused unread further:
# the comparison reads every member, and a hostile file is small.
MAX_UNPACKED = 1024 * 1024 * 1024
MAX_MEMBERS = 100_000
NO_ATTESTATION = "no attestation: "
# The first status of each mode is success; a failed one is evidence against
# the file (exit status 1), an error is "could not check" (2).
Status = Literal["OK", "FAIL", "ERROR", "reproduced", "differs", "unverified", "error"]
FAILED = frozenset({"FAIL", "differs", "unverified"})
ERRORS = frozenset({"ERROR", "error"})
SUMMARY = {
    "verify": {"OK": "verified", "FAIL": "failed"}
    | {"ERROR": "not checked (network or index error)"},
    "rebuild": {"reproduced": "reproduced", "differs": "differ"}
    | {"unverified": "not verified", "error": "not rebuilt (fetch or build error)"},
}
ENVIRONMENT_CHECKED = {
    "release": "checked against the publisher the index recorded for each file.",
    "dist": "NOT checked: a Sigstore certificate does not record the GitHub "
    "environment; `release` checks it against the index's provenance.",
}
# What a rebuild says of every file in JSON: `compared` "bytes", or "archive"
# for an sdist whose decompressed archive was compared (other bytes), `member`
# the first member of the archive that differs, `contents_match` whether all
# members' contents match, `attested` False for a file rebuilt from --commit
# without one.
REBUILD_DETAILS: tuple[str, ...] = ("repository", "commit", "sha256", "compared")
REBUILD_DETAILS += ("rebuilt_sha256", "member", "contents_match", "attested")
T = TypeVar("T")
# A file the index lists: its verdict, where it was downloaded, its provenance.
Fetched = tuple["FileResult", Path, "Provenance | None"]


class CannotCheck(Exception):
    """Nothing was checked: a usage, input, index or network error (exit 2)."""


@dataclass(frozen=True)
class Identity:
    """A GitHub trusted publisher, as PEP 740 and PEP 751 name it."""

    repository: str
    workflow: str
    environment: str  # "" when the publisher names no environment

    def same_repository(self, other: str) -> bool:
        # GitHub owner and repository names are case-insensitive.
        return self.repository.casefold() == other.casefold()

    def same_environment(self, other: str | None) -> bool:
        # GitHub environment names are case-insensitive, and the index stores
        # and compares them lowercased; None is "no environment".
        return self.environment.casefold() == (other or "").casefold()

    def pylock_entry(self) -> dict[str, str]:
        entry = {"kind": "GitHub", "repository": self.repository}
        entry["workflow"] = self.workflow
        return entry | ({"environment": self.environment} if self.environment else {})

    def pylock_toml(self) -> str:
        # A JSON string is a TOML basic string, unless it holds \uD83D-style
        # surrogate escapes, which ensure_ascii=False avoids.
        entry = self.pylock_entry().items()
        lines = [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in entry]
        return "\n".join(["[[packages.attestation-identities]]", *lines])

    def publisher_problem(self, publisher: object) -> str | None:
        """Why the index's recorded publisher is not this one, if it is not."""
        from pypi_attestations import GitHubPublisher

        if not isinstance(publisher, GitHubPublisher):
            kind = getattr(publisher, "kind", type(publisher).__name__)
            return f"the index says a {kind} trusted publisher uploaded it, not GitHub"
        says = "the index says {} {} uploaded it, expected {}"
        if not self.same_repository(publisher.repository):
            return says.format("repository", publisher.repository, self.repository)
        if publisher.workflow != self.workflow:
            return says.format("workflow", publisher.workflow, self.workflow)
        if not self.same_environment(publisher.environment):
            found = f"environment {publisher.environment}"
            if not publisher.environment:
                found = "no environment (any job of the workflow could upload)"
            wanted = self.environment or "none"
            return f"the index's trusted publisher names {found}, expected {wanted}"
        return None

    def check_pylock(self, path: Path, package: NormalizedName) -> PylockResult:
        from packaging.pylock import Pylock, PylockValidationError

        try:
            lock = Pylock.from_dict(read_toml(path))
        except PylockValidationError as error:
            raise CannotCheck(f"{path} is not a valid pylock file: {error}") from None
        packages = [p for p in lock.packages if p.name == package]
        if not packages:
            raise CannotCheck(f"{path} locks no package named {package}")
        entries = [e for p in packages for e in (p.attestation_identities or [])]
        verdicts = [self.pylock_match(e) for e in entries]
        if True in verdicts:
            return PylockResult(str(path), "match", f"{path} names this identity")
        if None in verdicts:
            message = f"{path} names this repository and workflow but no environment; "
            message += f"add environment = {json.dumps(self.environment)} to pin it"
            return PylockResult(str(path), "match", message)
        if not entries:
            message = f"{path} has no attestation-identities for {package}; "
            message += "add the entry below (lockers do not write it yet)"
            return PylockResult(str(path), "missing", message)
        named = "; ".join(", ".join(f"{k}={v}" for k, v in e.items()) for e in entries)
        message = f"RED FLAG: {path} expects {package} from another publisher ({named})"
        return PylockResult(str(path), "mismatch", message)

    def pylock_match(self, entry: Mapping[str, Any]) -> bool | None:
        """True if a pylock entry names this identity, None if it does but without an
        environment (a looser pin), False otherwise."""
        if (
            entry.get("kind") != "GitHub"
            or not self.same_repository(str(entry.get("repository", "")))
            or entry.get("workflow") != self.workflow
        ):
            return False
        environment = entry.get("environment")
        if environment is None and self.environment:
            return None
        return self.same_environment(environment)


@dataclass(frozen=True)
class Source:
    """What the certificate must record of the source: the tag's ref, with the
    file's version for {version} (or one fixed ref: a rehearsal's branch); the
    commit and repository id if given."""

    tag: str = "v{version}"
    commit: str | None = None
    repository_id: str | None = None
    fixed_ref: str | None = None

    def ref(self, version: Version | str) -> str:
        if self.fixed_ref is not None:
            return self.fixed_ref
        return "refs/tags/" + self.tag.replace("{version}", str(version))

    def check(self, claims: Mapping[str, str], version: Version) -> str | None:
        """Why a verified certificate does not record this source, if not, for
        the version as build tools normalize it (the tag must match them)."""
        ref, tag = claims.get(OID_SOURCE_REPOSITORY_REF, ""), self.ref(version)
        if ref != tag:
            expected = "the ref" if self.fixed_ref else "the release tag"
            return f"signed at ref {ref or '(none)'}, expected {expected} {tag}"
        commit = claims.get(OID_SOURCE_REPOSITORY_DIGEST, "")
        if self.commit is not None and commit.casefold() != self.commit.casefold():
            return f"signed at commit {commit or '(none)'}, expected {self.commit}"
        repository_id = claims.get(OID_SOURCE_REPOSITORY_IDENTIFIER, "")
        if self.repository_id is not None and repository_id != self.repository_id:
            return (
                f"signed by repository id {repository_id or '(none)'}, expected "
                f"{self.repository_id}: the repository was deleted and re-created, "
                "or is another one of that name"
            )
        return None


@dataclass(frozen=True)
class FileResult:
    """The verdict on one file, a Status; a rebuild's has REBUILD_DETAILS."""

    file: str
    status: Status
    reason: str
    details: Mapping[str, object] = field(default_factory=dict, compare=False)


class PylockResult(NamedTuple):
    path: str
    status: Literal["match", "missing", "mismatch"]
    message: str


@dataclass
class Report:
    mode: Literal["dist", "release", "rebuild"]
    package: str
    identity: Identity
    sigstore: Literal["production", "staging"]
    offline: bool
    source: Source = field(default_factory=Source)
    origin: str = "the index"  # or DIR
    version: str | None = None
    files: list[FileResult] = field(default_factory=list)
    pylock: PylockResult | None = None

    @property
    def exit_code(self) -> int:
        mismatch = self.pylock is not None and self.pylock.status == "mismatch"
        if mismatch or any(f.status in FAILED for f in self.files):
            return 1
        return 2 if any(f.status in ERRORS for f in self.files) else 0

    def as_text(self) -> str:
        identity, source = self.identity, self.source
        rebuild = self.mode == "rebuild"
        where = f"{self.package} {self.version}" if self.version else self.package
        trust_root = "cached trust root" if self.offline else "trust root refreshed"
        against = f"{identity.repository}, workflow {identity.workflow}"
        sigstore = f"(Sigstore {self.sigstore}, {trust_root})"
        if rebuild:
            header = f"Rebuilding {where} from {self.origin}: attestations checked "
            header += f"against {against} {sigstore}"
        else:
            also = [("commit", source.commit), ("repository id", source.repository_id)]
            ref = source.ref(self.version or "{version}")
            ref += "".join(f", {w} {v}" for w, v in also if v is not None)
            header = f"Verifying {where} against {against}, ref {ref} {sigstore}"
        lines = [header] + [f"{r.status} {r.file}: {r.reason}" for r in self.files]
        if checked := ENVIRONMENT_CHECKED.get(self.mode):
            environment = identity.environment or "(none)"
            lines.append(f"Environment {environment}: {checked}")
        labels = SUMMARY["rebuild" if rebuild else "verify"]
        counts = Counter[str](r.status for r in self.files)
        first, *others = labels
        summary = f"{plural(len(self.files), 'file')}: {counts[first]} {labels[first]}"
        summary += "".join(f", {counts[s]} {labels[s]}" for s in others if counts[s])
        lines.append(summary + ".")
        if unsigned := sum(r.details.get("attested") is False for r in self.files):
            files = f"{plural(unsigned, 'file')} without an attestation rebuilt from"
            unchecked = "who published them was not checked."
            lines.append(f"{files} --commit {source.commit}: {unchecked}")
        if self.pylock is not None:
            lines.append(f"pylock: {self.pylock.message}")
        # Names, directories and library messages are untrusted: no line may hold
        # a newline that would start a workflow command.
        lines = [printable(line) for line in lines]
        if not rebuild:
            entry = f"under [[packages]] name = {json.dumps(self.package)}:"
            lines += ["", f"A pylock.toml should hold this entry {entry}"]
            lines.append(identity.pylock_toml())
        return "\n".join(lines)

    def as_json(self) -> str:
        keys = ("mode", "package", "version", "origin", "sigstore", "offline")
        data = {key: getattr(self, key) for key in keys}
        data["identity"] = self.identity.pylock_entry()
        data |= {"source": asdict(self.source), "commit": self.source.commit}
        data["environment_checked"] = self.mode == "release"
        rebuild = dict.fromkeys(REBUILD_DETAILS) if self.mode == "rebuild" else {}
        data["files"] = [
            {"file": r.file, "status": r.status, "reason": r.reason}
            | rebuild
            | dict(r.details)
            for r in self.files
        ]
        data["pylock"] = self.pylock._asdict() if self.pylock else None
        data["pylock_entry"] = self.identity.pylock_toml()
        return json.dumps(data | {"exit_code": self.exit_code}, indent=2)


# --- Checks: names and attestations --------------------------------------------
# A name is parsed where it is listed, checked and verified: once is enough.
@functools.lru_cache(maxsize=1024)
def parse_name(filename: str) -> tuple[NormalizedName, Version, tuple[object, ...]]:
    """(project, version, what the file is) of a wheel or sdist, or ValueError;
    the last is the same however the name is spelled (`PyPI_Attestations-0.0.019`
    and `pypi_attestations-0.0.19` name the same files: the specs normalize)."""
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return name, version, (name, version, build, tags)
        if filename.endswith(".tar.gz"):
            name, version = parse_sdist_filename(filename)
            return name, version, (name, version)
    except ValueError as error:  # InvalidWheelFilename, InvalidSdistFilename
        raise ValueError(f"not a valid distribution file name: {error}") from None
    if filename.endswith(".zip"):
        raise ValueError("a .zip sdist: the index accepts only .tar.gz (PEP 625)")
    raise ValueError("not a distribution: expected a wheel (.whl) or sdist (.tar.gz)")


def parsed_version(filename: str) -> str | None:
    """The version a wheel or sdist name claims, however odd the rest is."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:
        return None


def spelled_twice(names: Sequence[str]) -> dict[str, str]:
    """(name -> why) for every name that spells the same distribution as
    another name: each is a second copy of one file, and none is trusted."""
    groups: dict[object, list[str]] = {}
    for name in names:
        try:
            key: object = parse_name(name)[2]
        except ValueError:
            key = name
        groups.setdefault(key, []).append(name)
    return {
        name: "the same distribution is also named "
        + ", ".join(printable(other) for other in group if other != name)
        for group in groups.values()
        if len(set(group)) > 1
        for name in group
    }


@functools.lru_cache(maxsize=16)
def publisher(repository: str, workflow: str) -> GitHubPublisher:
    from pypi_attestations import GitHubPublisher

    return GitHubPublisher(repository=repository, workflow=workflow)


@dataclass
class AttestationChecker:
    """Verifies attestations against one identity on one Sigstore instance."""

    identity: Identity
    staging: bool
    offline: bool
    source: Source = field(default_factory=Source)
    prepared: bool = False

    @property
    def instance(self) -> Literal["production", "staging"]:
        return "staging" if self.staging else "production"

    def prepare(self) -> None:
        """Bring Sigstore's trust root up to date, once per process: online,
        Attestation.verify() would ask Sigstore's TUF repository on every call;
        after one refresh, every verification reads the cache (offline=True),
        from one thread only, so it is never written concurrently. --offline
        uses the cache, or the trust root bundled with sigstore, as it is."""
        if self.prepared:
            return
        from sigstore.errors import Error as SigstoreError
        from sigstore.verify import Verifier

        try:
            verifier = Verifier.staging if self.staging else Verifier.production
            verifier(offline=self.offline)
        except (SigstoreError, OSError) as error:
            raise CannotCheck(
                f"could not load Sigstore's {self.instance} trust root ({error}); "
                "--offline uses the cached or bundled one"
            ) from None
        self.prepared = True

    def check(
        self, attestation: Attestation, dist: Distribution, wanted: str | None = None
    ) -> tuple[bool, str]:
        """(True, who signed it) or (False, why not): another predicate type
        than `wanted`, or another source than self.source, is rejected too."""
        self.prepare()
        # Attestations are untrusted input: whatever a malformed one makes the
        # library raise is a rejection of that file, not a crash.
        try:
            claims = certificate_claims(attestation)
            signed_type, _ = attestation.verify(
                self._publisher_for(claims), dist, staging=self.staging, offline=True
            )
        except Exception as error:  # noqa: BLE001
            return False, self._explain(attestation, dist, str(error))
        if wanted is not None and signed_type != wanted:
            return False, f"a {short_type(signed_type)}, not a {short_type(wanted)}"
        version = parse_name(dist.name)[1]  # the library checked the name
        if problem := self.source.check(claims, version):
            return False, problem
        signer = "{}, {} @ {}".format(*signed_by(claims))
        return True, f"signed by {signer} ({short_type(signed_type)})"

    def check_file(self, path: Path, package: NormalizedName) -> FileResult:
        name = path.name
        attestation_path = path.with_name(name + ATTESTATION_SUFFIX)
        try:
            digest = sha256_of(path)
            project = parse_name(name)[0]
            if project != package:
                raise ValueError(f"belongs to project {project}, not {package}")
            if not os.path.lexists(attestation_path):
                raise ValueError(f"{NO_ATTESTATION}{attestation_path.name} is missing")
            try:
                opened = open_regular(attestation_path)
            except ValueError as error:
                raise ValueError(f"{attestation_path.name}: {error}") from None
            with opened:
                data = read_document(opened.read, "attestation")
            attestation = load_attestation(data)
        except ValueError as error:
            return FileResult(name, "FAIL", str(error))
        from pypi_attestations import AttestationType, Distribution

        # A .publish.attestation is what the index accepts as one: PyPI publish.
        dist = Distribution(name=name, digest=digest)
        ok, reason = self.check(attestation, dist, AttestationType.PYPI_PUBLISH_V1)
        return FileResult(name, "OK" if ok else "FAIL", reason)

    def check_provenance(
        self, name: str, sha256: str, provenance: Provenance
    ) -> FileResult:
        from pypi_attestations import Distribution

        dist = Distribution(name=name, digest=sha256)  # download_package checked it
        bundles = provenance.attestation_bundles
        if not any(bundle.attestations for bundle in bundles):
            return FileResult(name, "FAIL", "the provenance holds no attestations")
        signers: list[str] = []
        for bundle in bundles:
            if reason := self.identity.publisher_problem(bundle.publisher):
                return FileResult(name, "FAIL", reason)
            for attestation in bundle.attestations:
                ok, reason = self.check(attestation, dist)
                if not ok:
                    return FileResult(name, "FAIL", reason)
                signers.append(reason)
        signers.append(f"index's environment: {self.identity.environment or 'none'}")
        return FileResult(name, "OK", "; ".join(signers))

    def _publisher_for(self, claims: Mapping[str, str]) -> GitHubPublisher:
        """The expected publisher, spelled as the certificate spells it: the
        library compares repository names exactly, but GitHub does not, so a
        certificate whose repository differs only in case is verified against
        its own spelling (the signature still binds every other letter). No
        environment: the library ignores it, and a certificate cannot prove it."""
        claimed = claims.get(OID_SOURCE_REPOSITORY_URI, "").removeprefix(GITHUB)
        if not self.identity.same_repository(claimed):
            claimed = self.identity.repository
        return publisher(claimed, self.identity.workflow)

    def _explain(self, attestation: Attestation, dist: Distribution, error: str) -> str:
        from sigstore.verify.policy import UnsafeNoOp

        message = error.removeprefix("Verification failed: ")
        # Any signer: tells a signature that does not verify at all from one
        # made by someone else.
        try:
            attestation.verify(UnsafeNoOp(), dist, staging=self.staging, offline=True)
        except Exception as any_signer_error:  # noqa: BLE001 - untrusted input, as above
            # Not even a valid signature for this file, whoever made it.
            message = str(any_signer_error).removeprefix("Verification failed: ")
            if "subject does not match distribution digest" in message:
                return (
                    "the file's sha256 differs from the one that was signed: "
                    "the file changed after signing"
                )
            if "subject does not match distribution name" in message:
                return f"the attestation is for another file ({message})"
            return f"signature does not verify on Sigstore {self.instance}: {message}"
        # A valid signature for this very file, by another identity.
        claims = certificate_claims(attestation)
        issuer = claims.get(OID_ISSUER, "")
        if issuer != GITHUB_ACTIONS_ISSUER:
            return f"not signed by GitHub Actions (certificate issuer: {issuer})"
        repository, workflow, ref = signed_by(claims)
        if not self.identity.same_repository(repository):
            expected = self.identity.repository
            return f"signed by repository {repository}, expected {expected}"
        if workflow != (wanted := self.identity.workflow):
            return f"signed by workflow {workflow or '?'} @ {ref}, expected {wanted}"
        return f"signer rejected: {message}"


def certificate_claims(attestation: Attestation) -> dict[str, str]:
    """The Fulcio claims this script reads, from the attestation's certificate:
    DER UTF8Strings, decoded here directly, as the library's pyasn1 decoding
    of every extension takes a tenth of the time of a whole verification."""
    # cryptography comes with sigstore, which parses the same certificate.
    from cryptography import x509

    try:
        der = attestation.verification_material.certificate
        extensions = x509.load_der_x509_certificate(der).extensions
    except ValueError:
        # Not a certificate: the library's verification says what is wrong.
        return {}
    claims = {}
    for extension in extensions:
        oid, value = extension.oid.dotted_string, extension.value
        if oid in CLAIMS and isinstance(value, x509.UnrecognizedExtension):
            text = der_utf8_string(value.value)
            if text is not None:
                claims[oid] = text
    return claims


def der_utf8_string(data: bytes) -> str | None:
    """The text of a DER-encoded UTF8String, or None for anything else."""
    # 0x0C tags a UTF8String; 0x80 is an indefinite length, which DER forbids.
    if len(data) < 2 or data[0] != 0x0C or data[1] == 0x80:
        return None
    size, start = data[1], 2
    if size > 0x80:  # long form: the next (size & 0x7F) bytes hold the length
        start += size & 0x7F
        size = int.from_bytes(data[2:start])
    if len(data) != start + size:
        return None
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def signed_by(claims: Mapping[str, str]) -> tuple[str, str, str]:
    """(repository, workflow file, ref) of a certificate's Build Config URI."""
    repository = claims.get(OID_SOURCE_REPOSITORY_URI, "").removeprefix(GITHUB)
    uri = claims.get(OID_BUILD_CONFIG_URI, "")
    prefix = f"{GITHUB}{repository}/.github/workflows/"
    if not uri.startswith(prefix):
        return repository, "", claims.get(OID_SOURCE_REPOSITORY_REF, "?")
    workflow, _, ref = uri.removeprefix(prefix).partition("@")
    return repository, workflow, ref


def short_type(predicate_type: str) -> str:
    from pypi_attestations import AttestationType

    names: dict[str, str] = {AttestationType.PYPI_PUBLISH_V1: "PyPI publish"}
    names[AttestationType.SLSA_PROVENANCE_V1] = "SLSA provenance"
    return f"{names.get(predicate_type, predicate_type)} attestation"


def load_attestation(text: bytes) -> Attestation:
    """Parse an attestation file; ValueError with a one-line reason."""
    from pypi_attestations import Attestation

    return load_document(Attestation, text, "attestation", "a PEP 740 attestation")


Document = TypeVar("Document", "Attestation", "Provenance")


def load_document(model: type[Document], text: bytes, noun: str, kind: str) -> Document:
    """Parse untrusted JSON into a model; ValueError with a one-line reason.
    pydantic's parser bounds the nesting (json.loads would raise RecursionError
    on 20,000 nested lists); read_document bounds the size."""
    from pydantic import ValidationError

    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        problems = error.errors()
        if problems and problems[0]["type"] == "json_invalid":
            message = problems[0]["msg"]
            if "recursion limit" in message:
                message = "nested too deeply: " + message
            raise ValueError(f"{noun} is not valid JSON ({message})") from None
        if not problems:
            raise ValueError(f"not {kind} ({error})") from None
        where = ".".join(str(part) for part in problems[0]["loc"]) or "document"
        more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise ValueError(f"not {kind} ({where}: {problems[0]['msg']}{more})") from None


def read_document(
    read: Callable[[int], bytes], noun: str, limit: int | None = None
) -> bytes:
    """A document's bytes, read no further than one byte past its limit
    (MAX_DOCUMENT) whatever the file system or a Content-Length says."""
    limit = MAX_DOCUMENT if limit is None else limit
    data = bytearray()
    # In chunks: a read of the whole bound would allocate it for every file.
    while len(data) <= limit and (chunk := read(min(1 << 16, limit + 1 - len(data)))):
        data += chunk
    if len(data) > limit:
        raise ValueError(f"{noun} is larger than {limit:,} bytes: refused unread")
    return bytes(data)


# --- Mode dist: local files ----------------------------------------------------
def open_regular(path: Path) -> io.FileIO:
    """path opened, if a regular file, else ValueError saying what it is: a link
    is never followed (what is verified is what the upload's glob takes)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as error:
        if path.is_symlink():
            target = printable(str(path.readlink()))
            raise ValueError(f"a symbolic link (to {target}): not followed") from None
        raise ValueError(f"cannot be read: {error.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kinds = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO"}
        kind = kinds.get(stat.S_IFMT(mode), "a socket or device")
        raise ValueError(f"{kind}, not a regular file")
    return os.fdopen(fd, "rb", buffering=0)


def sha256_hex(file: IO[bytes]) -> str:
    # In 64 KiB chunks: hashlib.file_digest allocates 256 KiB for every file.
    digest = hashlib.sha256()
    while chunk := file.read(1 << 16):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    with open_regular(path) as file:
        return sha256_hex(file)


def check_dist_dir(
    directory: Path, package: NormalizedName, checker: AttestationChecker
) -> list[FileResult]:
    if not directory.is_dir():
        raise CannotCheck(f"{directory} is not a directory")
    # Hidden files are not uploaded (the workflow globs dist/*) and build tools
    # leave some there, such as uv's dist/.gitignore. Every other entry is
    # checked, whatever it is: a directory or link fails, it is never skipped.
    listed = sorted(p for p in directory.iterdir() if not p.name.startswith("."))
    entries = {path.name: path for path in listed}
    twice = spelled_twice(list(entries))
    results: list[FileResult] = []
    for name, path in entries.items():
        subject = name.removesuffix(ATTESTATION_SUFFIX)
        if name in twice:
            results.append(FileResult(name, "FAIL", twice[name]))
        elif subject == name:
            results.append(checker.check_file(path, package))
        elif subject.endswith(ATTESTATION_SUFFIX):
            reason = f"not a distribution, nor the attestation of one: {subject} "
            results.append(FileResult(name, "FAIL", reason + "is an attestation"))
        elif subject not in entries:
            reason = f"attestation for {subject}, which is not here"
            results.append(FileResult(name, "FAIL", reason))
    if not results:
        raise CannotCheck(f"{directory} holds no distributions to verify")
    return results


# --- Mode release: the files on the index --------------------------------------
# pypi_simple is imported where it is used: it adds about 0.3 s of start-up
# that `dist`, run in the publish job, does not need.

# Waits between attempts at one request, in seconds: one per retry.
RETRY_DELAYS = (1.0, 3.0)
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def with_retries(what: str, action: Callable[[], T], retries: Sequence[float]) -> T:
    """Run a request, retrying network failures and 5xx/429 answers; CannotCheck
    once the retries are spent, or at once for another 4xx."""
    import requests

    for attempt in range(len(retries) + 1):
        try:
            return action()
        except CannotCheck as error:  # a redirect https_only_session refused
            raise CannotCheck(f"{what} was {error}") from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            problem = f"HTTP {status} for {what}"
            if status != 429 and status < 500:
                raise CannotCheck(problem) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            kind = "timed out" if isinstance(error, requests.Timeout) else "failed"
            problem = f"network error: {what} {kind}"
        except requests.RequestException as error:
            problem = f"network error for {what}: {type(error).__name__}"
        if attempt < len(retries):
            time.sleep(retries[attempt])
    raise CannotCheck(f"{problem} ({plural(len(retries) + 1, 'attempt')})")


def https_only_session(allow_local: bool) -> requests.Session:
    """A session that follows no redirect that url_problem refuses."""
    import requests

    class HttpsOnlySession(requests.Session):
        def get_redirect_target(self, resp: requests.Response) -> str | None:
            target = super().get_redirect_target(resp)
            if target is not None:
                absolute = urljoin(resp.url, target)
                if problem := url_problem(absolute, allow_local):
                    raise CannotCheck(f"redirected to {absolute}: {problem}")
            return target

    return HttpsOnlySession()


def url_problem(url: str, allow_local: bool) -> str | None:
    """Why a URL is not one to fetch, if it is not: only https is trusted to
    bring the index's words (--insecure-local-index admits a local http one)."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if (parts.scheme == "https" and parts.hostname) or (local and allow_local):
        return None
    if local:
        return "plain http (--insecure-local-index accepts it, for tests)"
    return "not https"


def listed_problem(
    pkg: DistributionPackage, package: NormalizedName, version: Version, times: int
) -> str | None:
    """Why a file the index lists for this release cannot be one of its
    distributions, if it cannot: every such file fails the release."""
    name = pkg.filename
    if times > 1:
        return f"the index lists this file name {times} times"
    # A bare, printable file name: no directory part, nothing hidden.
    if not name.isprintable() or name.startswith(".") or {"/", "\\"} & set(name):
        what = "a path separator, a control character or starts with a dot"
        return f"not a file name: it holds {what}"
    try:
        project, _, _ = parse_name(name)
    except ValueError as error:
        return str(error)
    if project != package:
        return f"belongs to project {project}"
    if parsed_version(name) != str(version):
        return f"a file of version {parsed_version(name)}, listed for {version}"
    return None


@dataclass(frozen=True)
class Index:
    """The index: PEP 691 JSON only (the HTML API has no provenance links)."""

    url: str
    timeout: float
    retries: Sequence[float]
    jobs: int
    allow_local: bool = False  # http:// on this machine, for tests

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Index:
        if args.index_url is None:
            from pypi_simple import PYPI_SIMPLE_ENDPOINT

            args.index_url = PYPI_SIMPLE_ENDPOINT
        if problem := url_problem(args.index_url, args.insecure_local_index):
            raise CannotCheck(f"--index-url {args.index_url}: {problem}")
        retries, local = RETRY_DELAYS[: args.retries], args.insecure_local_index
        return cls(args.index_url, args.timeout, retries, args.jobs, local)

    def client(self) -> PyPISimple:
        from pypi_simple import ACCEPT_JSON_ONLY, PyPISimple

        session = https_only_session(self.allow_local)
        return PyPISimple(self.url, accept=ACCEPT_JSON_ONLY, session=session)

    def release_files(
        self, package: NormalizedName, version: Version
    ) -> list[DistributionPackage]:
        """The files the index lists for one version of the package."""
        from pypi_simple import NoSuchProjectError, UnsupportedRepoVersionError

        with self.client() as client:
            try:
                page = with_retries(
                    f"the project page of {package}",
                    lambda: client.get_project_page(package, timeout=self.timeout),
                    self.retries,
                )
            except NoSuchProjectError:
                raise CannotCheck(
                    f"the index at {self.url} lists no project {package} (yet)"
                ) from None
            # UnsupportedContentTypeError, a JSON or pydantic error: all
            # ValueError; json.loads raises RecursionError on deep nesting.
            except (UnsupportedRepoVersionError, ValueError, RecursionError) as error:
                why = f"not a PEP 691 JSON page: {error}"
                if isinstance(error, RecursionError):
                    why = "nested too deeply to be a PEP 691 JSON page"
                raise CannotCheck(f"the index's page for {package} is {why}") from None

        wanted = canonicalize_version(version)
        # A name no version can be read from may be meant for this one: it is
        # listed (and rejected) rather than skipped.
        if files := [
            p
            for p in page.packages
            if p.version is None
            or wanted == canonicalize_version(p.version)
            or wanted == canonicalize_version(parsed_version(p.filename) or "")
        ]:
            return files
        raise CannotCheck(f"the index lists no files for {package} {version} (yet)")

    def fetch(
        self, pkg: DistributionPackage, path: Path, unsigned: bool
    ) -> tuple[FileResult, Provenance | None]:
        """Download one file to path (never one a name from the index chooses),
        digest checked, and its provenance, which `unsigned` does not need."""
        from pypi_attestations import Provenance
        from pypi_simple import DigestMismatchError, NoDigestsError

        name = pkg.filename
        urls = [u for u in (pkg.url, pkg.provenance_url) if u is not None]
        refused = [(u, p) for u in urls if (p := url_problem(u, self.allow_local))]
        reason = ""
        if refused:
            reason = "the index serves it from {}: {}".format(*refused[0])
        elif "sha256" not in pkg.digests:
            reason = "the index gives no sha256 for this file"
        elif pkg.provenance_url is None and not unsigned:
            reason = "no provenance: the index lists no attestations for it"
        if reason:
            return FileResult(name, "FAIL", reason), None
        try:
            with self.client() as client:
                with_retries(
                    name,
                    lambda: client.download_package(pkg, path, timeout=self.timeout),
                    self.retries,
                )
                if pkg.provenance_url is None:
                    return FileResult(name, "OK", UNSIGNED), None
                raw = with_retries(
                    f"the provenance of {name}",
                    lambda: self.provenance_bytes(client, pkg),
                    self.retries,
                )
            provenance = load_document(
                Provenance, raw, "the provenance", "a PEP 740 provenance object"
            )
        except CannotCheck as error:
            return FileResult(name, "ERROR", str(error)), None
        except DigestMismatchError:
            reason = "the downloaded file does not match the index's sha256"
        except NoDigestsError:
            reason = "the index gives no usable digest for this file"
        except ValueError as error:  # no provenance, too large, or not one
            reason = str(error)
        else:
            return FileResult(name, "OK", ""), provenance
        return FileResult(name, "FAIL", reason), None

    def provenance_bytes(self, client: PyPISimple, pkg: DistributionPackage) -> bytes:
        """The provenance as served, read no further than MAX_DOCUMENT + 1
        bytes, decompressed: pypi-simple's get_provenance reads any size and
        parses with json.loads (a RecursionError on deep nesting)."""
        url = pkg.provenance_url or ""
        with client.s.get(url, timeout=self.timeout, stream=True) as response:
            if response.status_code == 404:
                raise ValueError("no provenance: the index has none for this file")
            response.raise_for_status()
            return read_document(
                lambda size: response.raw.read(size, decode_content=True),
                "the provenance",
            )

    def fetch_release(
        self,
        package: NormalizedName,
        version: Version,
        checker: AttestationChecker,
        directory: Path,
        unsigned: bool = False,
    ) -> tuple[list[DistributionPackage], list[Fetched]]:
        """What the index lists for the version, and each file as Fetched.
        Names are judged before anything is fetched; downloads run in threads,
        verification (and the trust root's one refresh) in this thread."""
        listed = self.release_files(package, version)
        times = Counter(pkg.filename for pkg in listed)
        twice = spelled_twice(list(times))
        results: dict[str, Fetched] = {}
        wanted = []
        for number, pkg in enumerate(listed):
            name = pkg.filename
            why = twice.get(name) or listed_problem(pkg, package, version, times[name])
            if why:
                failed = FileResult(name, "FAIL", why)
                results.setdefault(name, (failed, directory, None))
            else:
                wanted.append((pkg, directory / str(number)))
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            jobs = pool.map(lambda job: self.fetch(job[0], job[1], unsigned), wanted)
            for (pkg, path), (result, provenance) in zip(wanted, jobs, strict=True):
                if provenance is not None:
                    sha256 = pkg.digests["sha256"]
                    result = checker.check_provenance(pkg.filename, sha256, provenance)
                results[pkg.filename] = (result, path, provenance)
        return listed, list(results.values())

    def check_release(
        self,
        package: NormalizedName,
        version: Version,
        checker: AttestationChecker,
        expected: Mapping[str, str] | None = None,
    ) -> list[FileResult]:
        """Every file of the release; given a list of files (name -> sha256),
        the index must hold exactly those, byte for byte."""
        with tempfile.TemporaryDirectory(prefix="verify-attestations-") as tmp:
            listed, fetched = self.fetch_release(package, version, checker, Path(tmp))
        results = [result for result, _, _ in fetched]
        if expected is None:
            return sorted(results, key=lambda r: r.file)
        sha256 = {pkg.filename: pkg.digests.get("sha256") for pkg in listed}
        for number, result in enumerate(results):
            if result.status != "OK":
                continue
            if result.file not in expected:
                problem = "on the index, but not listed in --sha256sums"
            elif expected[result.file] != sha256.get(result.file):
                problem = "on the index with other bytes than --sha256sums lists"
            else:
                reason = f"{result.reason}; the bytes --sha256sums lists"
                results[number] = replace(result, reason=reason)
                continue
            results[number] = FileResult(result.file, "FAIL", problem)
        results += [
            FileResult(name, "FAIL", "listed in --sha256sums, but not on the index")
            for name in expected.keys() - sha256.keys()
        ]
        return sorted(results, key=lambda r: r.file)


def run(args: argparse.Namespace) -> Report:
    identity, source = expected_from(args)
    package = canonicalize_name(args.package)
    rebuild = args.mode == "rebuild"
    if rebuild and (args.version is None) == (args.dist is None):
        one = "VERSION (files from the index) or --dist DIR (local files)"
        raise CannotCheck(f"rebuild takes {one}, one of them")
    uv = tool_path("uv") if rebuild else ""
    checker = AttestationChecker(identity, args.staging, args.offline, source)
    directory = args.directory if args.mode == "dist" else getattr(args, "dist", None)
    origin = "the index" if directory is None else str(directory)
    report = Report(args.mode, package, identity, checker.instance, args.offline)
    report.source, report.origin, version = source, origin, None
    if directory is None:
        try:
            version = Version(args.version)
        except InvalidVersion:
            raise CannotCheck(f"{args.version!r} is not a version") from None
        report.version = str(version)
    if rebuild:
        with tempfile.TemporaryDirectory(prefix="verify-attestations-rebuild-") as tmp:
            report.files = rebuild_files(args, package, checker, version, Path(tmp), uv)
    elif version is None:
        report.files = check_dist_dir(args.directory, package, checker)
    else:
        listed = None if args.sha256sums is None else listed_digests(args.sha256sums)
        index = Index.from_args(args)
        report.files = index.check_release(package, version, checker, listed)
    if args.pylock is not None:
        report.pylock = identity.check_pylock(args.pylock, package)
    return report


# A line of sha256sum's output (text mode), for a file name of the release.
SHA256SUMS_LINE = re.compile(r"([0-9a-fA-F]{64})  ([A-Za-z0-9_+!-][A-Za-z0-9._+!-]*)")


def listed_digests(path: Path) -> dict[str, str]:
    """name -> sha256 of each file a sha256sum-format list names: every line
    `<sha256>  <name>`, each name once; CannotCheck for anything else."""
    where = f"--sha256sums {printable(str(path))}"
    try:
        with open_regular(path) as file:
            text = read_document(file.read, "the list").decode("ascii")
    except UnicodeDecodeError:
        raise CannotCheck(f"{where}: not ASCII text") from None
    except ValueError as error:
        raise CannotCheck(f"{where}: {error}") from None
    if not text:
        raise CannotCheck(f"{where}: lists no files")
    digests: dict[str, str] = {}
    for number, line in enumerate(text.removesuffix("\n").split("\n"), 1):
        if not (match := SHA256SUMS_LINE.fullmatch(line)):
            raise CannotCheck(
                f"{where}: line {number} is not `<sha256>  <name>` (sha256sum's "
                "format, a name of letters, digits and ._+!-)"
            )
        digest, name = match.groups()
        if name in digests:
            raise CannotCheck(f"{where}: line {number} lists {name} again")
        digests[name] = digest.lower()
    return digests


# --- Mode rebuild: build the attested commit again and compare -----------------
# An attestation proves who published a file, not what it was built from: a
# compromised build step gets its output signed all the same. Rebuilding the
# commit the certificate names shows whether the bytes are that source's.

# What the publish workflow builds with, at the commit it builds.
BUILD_CONSTRAINTS = ".github/release-requirements/build-constraints.txt"
# The workflow's checkouts have a runner's umask; a file's mode is in the archive.
BUILD_UMASK = 0o022
# The publish workflow's build, after `uv` (only the backend pinned by hash
# builds, not uv's built-in copy, and only from wheels).
BUILD_OPTIONS = "--no-sources --force-pep517 --require-hashes --no-build"
BUILD_COMMAND = ("build", *BUILD_OPTIONS.split())
BUILD_COMMAND += ("--build-constraints", BUILD_CONSTRAINTS)
# Then the sdist is rewritten deterministically by the commit's own script
# (none before the template had it: such a commit's sdist is as built).
NORMALIZER = ".github/scripts/normalize-sdist.py"
UNSIGNED = "no attestation: the commit is the one --commit names"
# What the clone and the build may see of this process's environment: the
# commit's build code runs, so no token or credential goes along; uv's index,
# cache and proxy settings, the CA bundle and how git reaches a mirror do, but
# no other GIT_ variable (a repository, an index, a configuration).
KEPT_ENVIRONMENT = frozenset(
    {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT", "USERPROFILE"}
    | {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy"}
    | {"no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"}
    | {"GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS"}
)


class RebuildFailed(Exception):
    """The source could not be fetched or built (exit status 2 for its files)."""


class SourceCommit(NamedTuple):
    """The repository and commit a file is said to be built from."""

    repository: str
    commit: str


@dataclass(frozen=True)
class Candidate:
    """A file to rebuild, and where it is said to come from."""

    name: str
    path: Path
    source: SourceCommit
    attested: str  # who signed it, or that nobody did
    signed: bool = True


def attested_source(attestations: Sequence[Attestation]) -> SourceCommit:
    """The repository and commit every verified attestation names;
    ValueError if a certificate names none, or they disagree."""
    found: set[SourceCommit] = set()
    for attestation in attestations:
        claims = certificate_claims(attestation)
        repository = claims.get(OID_SOURCE_REPOSITORY_URI, "")
        commit = claims.get(OID_SOURCE_REPOSITORY_DIGEST, "")
        if not repository.startswith(GITHUB) or not COMMIT.fullmatch(commit):
            raise ValueError(
                "the certificate names no GitHub source repository and commit"
            )
        found.add(SourceCommit(repository, commit))
    if len(found) != 1:
        named = ", ".join(sorted(f"{s.repository} @ {s.commit}" for s in found))
        raise ValueError(f"the attestations name other sources: {named}")
    return found.pop()


def tool_path(name: str) -> str:
    # uv sets UV to itself for the commands it runs, this script included.
    found = (os.environ.get("UV") if name == "uv" else None) or shutil.which(name)
    if not found:
        why = "it clones and builds as the publish workflow does"
        raise CannotCheck(f"rebuild needs {name} on PATH ({why})")
    return found


def isolated_env(**extra: str) -> dict[str, str]:
    """A clone's or build's environment: KEPT_ENVIRONMENT, uv's, no git config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in KEPT_ENVIRONMENT
        or (key.startswith("UV_") and key != "UV_PROJECT_ENVIRONMENT")
    }
    git = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return env | git | {"GIT_TERMINAL_PROMPT": "0"} | extra


def step(what: str, command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> str:
    """Run one command of the rebuild; its output, or RebuildFailed in one
    line: git's or uv's first error line, and uv's innermost cause."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            umask=BUILD_UMASK,
        )
    except OSError as error:
        raise RebuildFailed(f"{what}: {error.strerror}") from None
    if done.returncode == 0:
        return done.stdout
    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    causes = [ln for ln in lines if ln.startswith("cause:")]
    if not errors:
        problem = lines[-1] if lines else f"exit status {done.returncode}"
    else:
        problem = errors[0].partition(":")[2].strip()
        if causes:
            problem += f" ({causes[-1].removeprefix('cause:').strip()})"
    raise RebuildFailed(f"{what} failed: {problem}")


class Rebuilt(NamedTuple):
    dist: Path
    epoch: int  # the commit's date, SOURCE_DATE_EPOCH


def build_source(
    source: SourceCommit, version: str, clone_from: str, workdir: Path, uv: str
) -> Rebuilt:
    """Check out the commit alone and build it as the publish workflow does, with
    the files' version for a version from the tag (the commit has no tag)."""
    git, checkout, env = tool_path("git"), workdir / "source", isolated_env()
    checkout.mkdir()
    fetching = f"fetching commit {source.commit} from {clone_from}"
    for what, command in (
        ("git init", ["init", "--quiet"]),
        (fetching, ["fetch", "--quiet", "--depth=1", "--", clone_from, source.commit]),
        ("checkout", ["checkout", "--quiet", "--detach", "FETCH_HEAD"]),
    ):
        step(what, [git, *command], checkout, env)
    head = step("git rev-parse", [git, "rev-parse", "HEAD"], checkout, env).strip()
    if head != source.commit:
        raise RebuildFailed(f"{clone_from} gave commit {head}, not {source.commit}")
    if not (checkout / BUILD_CONSTRAINTS).is_file():
        raise RebuildFailed(
            f"commit {source.commit} has no {BUILD_CONSTRAINTS}: it does not pin "
            "its build requirements, so it cannot be rebuilt as it was built"
        )
    epoch = step("git log", [git, "log", "-1", "--format=%ct"], checkout, env).strip()
    building = f"uv build of commit {source.commit}"
    env = isolated_env(SOURCE_DATE_EPOCH=epoch, SETUPTOOLS_SCM_PRETEND_VERSION=version)
    step(building, [uv, *BUILD_COMMAND, "--quiet"], checkout, env)
    dist, normalizer = checkout / "dist", checkout / NORMALIZER
    sdists = sorted(str(path) for path in dist.glob("*.tar.gz"))
    if sdists and normalizer.is_file() and not normalizer.is_symlink():
        command = [sys.executable, "-I", str(normalizer), *sdists]
        step(f"normalizing the sdist of commit {source.commit}", command, checkout, env)
    return Rebuilt(dist, int(epoch))


# zipfile also raises RuntimeError (encrypted), NotImplementedError (unknown
# compression) and zlib.error: a hostile file differs, it never crashes this.
UNREADABLE: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, RuntimeError)
UNREADABLE += (NotImplementedError, zlib.error, zipfile.BadZipFile, tarfile.TarError)


def archive_members(path: Path, name: str) -> list[Member]:
    """The members of a wheel (zip) or sdist (tar.gz), in archive order, read
    without extracting anything, within MAX_UNPACKED and MAX_MEMBERS;
    ValueError if the file is not a readable archive."""
    members = []
    try:
        if name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
                unpacked = sum(i.file_size for i in infos)
                if len(infos) > MAX_MEMBERS or unpacked > MAX_UNPACKED:
                    raise ValueError(f"{len(infos)} members, {unpacked} bytes unpacked")
                for info in infos:
                    with archive.open(info) as data:
                        digest = sha256_hex(data)
                    mode, compression = info.external_attr >> 16, info.compress_type
                    metadata: dict[str, object] = {"date": info.date_time}
                    metadata |= {"mode": mode, "compression": compression}
                    members.append(Member(info.filename, digest, metadata))
            return members
        with gzip.open(path) as gz:
            bounded = cast("IO[bytes]", io.BufferedReader(Bounded(gz, MAX_UNPACKED)))
            with tarfile.open(fileobj=bounded, mode="r|") as archive:
                for entry in archive:
                    if len(members) >= MAX_MEMBERS:
                        raise ValueError(f"more than {MAX_MEMBERS} members")
                    file = archive.extractfile(entry) if entry.isfile() else None
                    owner = (entry.uid, entry.gid, entry.uname, entry.gname)
                    metadata = {"type": entry.type, "mode": entry.mode}
                    metadata |= {"date": entry.mtime, "owner": owner}
                    metadata["PAX records"] = entry.pax_headers
                    digest = entry.linkname if file is None else sha256_hex(file)
                    members.append(Member(entry.name, digest, metadata))
    except UNREADABLE as error:
        raise ValueError(
            f"{printable(name)} is not a readable archive ({error})"
        ) from None
    return members


class Member(NamedTuple):
    name: str
    sha256: str
    metadata: dict[str, object]


class Bounded(io.RawIOBase):
    """A stream that fails once more than `limit` bytes were read from it."""

    def __init__(self, stream: gzip.GzipFile, limit: int) -> None:
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(min(len(buffer), self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise ValueError(f"unpacks to more than {MAX_UNPACKED} bytes")
        buffer[: len(data)] = data
        return len(data)


def first_difference(
    published: list[Member], rebuilt: list[Member]
) -> tuple[str | None, bool, str]:
    """(first differing member, whether all members' contents match, what differs)."""
    ours, theirs = {m.name: m for m in published}, {m.name: m for m in rebuilt}
    only = [(m.name, "published") for m in published if m.name not in theirs]
    only += [(m.name, "rebuilt") for m in rebuilt if m.name not in ours]
    if only:
        return only[0][0], False, f"only in the {only[0][1]} file"
    if differ := [m.name for m in published if m.sha256 != theirs[m.name].sha256]:
        return differ[0], False, "its contents differ"
    for mine, other in zip(published, rebuilt, strict=False):
        if mine.name != other.name:
            return mine.name, True, "same contents, in another order"
    for member in published:
        other = theirs[member.name]
        changed = [k for k, v in member.metadata.items() if v != other.metadata.get(k)]
        if changed:
            return member.name, True, f"same contents, other {', '.join(changed)}"
    return (
        None,
        True,
        "same members, contents and metadata; the archives' other bytes differ",
    )


# The gzip header's flags (RFC 1952): a canonical header sets none.
GZIP_FLAGS = {2: "a header CRC", 4: "an extra field", 8: "a file name"}
GZIP_FLAGS[16] = "a comment"


class GzipForm(NamedTuple):
    """A .tar.gz: its tar's sha256, its header, why its form is not canonical."""

    tar_sha256: str
    header: bytes
    problem: str | None


def gzip_form(path: Path, epoch: int) -> GzipForm:
    """How a .tar.gz is gzipped, read within MAX_UNPACKED; canonical is one
    gzip member and nothing after it, its header without FNAME, FCOMMENT,
    FEXTRA or FHCRC and dated the commit; ValueError if not gzip data."""
    with open_regular(path) as file:
        data = read_document(file.read, "the archive", MAX_UNPACKED)
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    digest, size, pending = hashlib.sha256(), 0, data
    try:
        # In bounded steps: one call could unpack a small file to gigabytes.
        while not inflate.eof:
            chunk = inflate.decompress(pending, 1 << 20)
            pending = inflate.unconsumed_tail
            if not chunk and not pending:
                break
            size += len(chunk)
            if size > MAX_UNPACKED:
                raise ValueError(f"unpacks to more than {MAX_UNPACKED} bytes")
            digest.update(chunk)
    except zlib.error as error:
        raise ValueError(f"not gzip data ({error})") from None
    if not inflate.eof:
        raise ValueError("the gzip data is cut short")
    flags, date = data[3], int.from_bytes(data[4:8], "little")
    problem = None
    if named := [what for bit, what in GZIP_FLAGS.items() if flags & bit]:
        problem = f"gzip header holds {' and '.join(named)}"
    elif flags:
        problem = f"gzip header has the reserved flags {flags:#04x}"
    elif date != epoch:
        problem = f"gzip header is dated {date}, not the commit's {epoch}"
    elif rest := inflate.unused_data:
        problem = f"gzip data is followed by {len(rest)} bytes"
        if rest.startswith(b"\x1f\x8b"):
            problem = "gzip data is followed by a second gzip member"
    return GzipForm(digest.hexdigest(), data[:10], problem)


def same_archive(published: Path, rebuilt: Path, epoch: int) -> tuple[bool, str]:
    """(True, why) if two .tar.gz differ only in their deflate bytes: the same
    tar, byte for byte, each gzipped in canonical form with the same header
    (another zlib compresses differently); else (False, the first difference),
    or (False, "") if the tars differ."""
    try:
        ours, theirs = gzip_form(published, epoch), gzip_form(rebuilt, epoch)
    except ValueError as error:
        return False, f"{printable(published.name)} is not a readable archive ({error})"
    if ours.tar_sha256 != theirs.tar_sha256:
        return False, ""
    same = "the decompressed archive is identical byte for byte"
    for side, form in (("published", ours), ("rebuilt", theirs)):
        if form.problem:
            return False, f"{same}, but the {side} file's {form.problem}"
    if ours.header != theirs.header:
        header = f"{ours.header.hex()} and {theirs.header.hex()}"
        return False, f"{same}, but the gzip headers differ ({header})"
    why = f"{same} (tar sha256:{ours.tar_sha256}) and the gzip header canonical; "
    return True, why + "only the compression differs (such as another zlib's)"


def compare(candidate: Candidate, rebuilt: Rebuilt, clone: str) -> FileResult:
    name, source, ours = candidate.name, candidate.source, rebuilt.dist / candidate.name
    sha256 = sha256_of(candidate.path)
    details: dict[str, object] = {"repository": source.repository}
    details |= {"commit": source.commit, "sha256": sha256, "attested": candidate.signed}
    if not ours.is_file():
        dist = rebuilt.dist
        made = sorted(p.name for p in dist.glob("[!.]*")) if dist.is_dir() else []
        listed = ", ".join(map(printable, made)) or "nothing"
        reason = f"the rebuild made no file of this name (it made: {listed})"
        reason += f"; published sha256:{sha256}"
        return FileResult(name, "differs", reason, details)
    rebuilt_sha256 = details["rebuilt_sha256"] = sha256_of(ours)
    via = "" if clone == source.repository else f" (cloned from {clone})"
    where = f"{source.repository} @ {source.commit}{via}; {candidate.attested}"
    digests = f"published sha256:{sha256}, rebuilt sha256:{rebuilt_sha256}"
    details["compared"] = "bytes"
    if rebuilt_sha256 == sha256:
        reason = f"sha256:{sha256}, rebuilt from {where}"
        return FileResult(name, "reproduced", reason, details)
    what = ""
    if name.endswith(".tar.gz"):
        details["compared"] = "archive"
        same, what = same_archive(candidate.path, ours, rebuilt.epoch)
        if same:
            reason = f"{what}; {digests}, rebuilt from {where}"
            return FileResult(name, "reproduced", reason, details)
    member, contents_match = None, False
    if not what:
        try:
            member, contents_match, what = first_difference(
                archive_members(candidate.path, name), archive_members(ours, name)
            )
        except ValueError as error:
            what = str(error)
    details |= {"member": member, "contents_match": contents_match}
    where = f"first differing member {printable(member)}: {what}" if member else what
    return FileResult(name, "differs", f"{where}; {digests}", details)


def rebuild_files(
    args: argparse.Namespace,
    package: NormalizedName,
    checker: AttestationChecker,
    version: Version | None,
    workdir: Path,
    uv: str,
) -> list[FileResult]:
    """Verify the files as `dist` or `release` does, build once each source
    their certificates name (or --commit, for a file without attestations),
    and compare the files said to come from it."""
    commit = checker.source.commit
    files: list[tuple[FileResult, Path, list[Attestation]]] = []
    if version is None:
        for result in check_dist_dir(args.dist, package, checker):
            path = args.dist / result.file
            text = path.with_name(path.name + ATTESTATION_SUFFIX)
            ok = result.status == "OK"
            signed = [load_attestation(text.read_bytes())] if ok else []
            files.append((result, path, signed))
    else:
        index, unsigned = Index.from_args(args), commit is not None
        _, got = index.fetch_release(package, version, checker, workdir, unsigned)
        for result, path, provenance in got:
            bundles = provenance.attestation_bundles if provenance else []
            files.append((result, path, [a for b in bundles for a in b.attestations]))
    results: list[FileResult] = []
    # One build per commit and version: a version from the tag is the files'.
    builds: dict[tuple[SourceCommit, str], list[Candidate]] = {}
    for result, path, attestations in files:
        if commit is not None and result.reason.startswith(NO_ATTESTATION):
            source = SourceCommit(f"{GITHUB}{checker.identity.repository}", commit)
            candidate = Candidate(result.file, path, source, UNSIGNED, signed=False)
        else:
            try:
                if result.status != "OK" or not attestations:
                    raise ValueError(result.reason)
                source = attested_source(attestations)
            except ValueError as error:
                status: Status = "error" if result.status == "ERROR" else "unverified"
                results.append(FileResult(result.file, status, str(error)))
                continue
            candidate = Candidate(result.file, path, source, result.reason)
        key = (source, parsed_version(result.file) or "")
        builds.setdefault(key, []).append(candidate)
    # --source may name a local mirror, relative to where we run; the
    # certificate's repository is always a URL.
    if args.source is not None and Path(args.source).exists():
        args.source = str(Path(args.source).resolve())
    ordered = sorted(builds.items(), key=lambda build: build[0])
    for number, ((source, version_text), mine) in enumerate(ordered):
        build_dir = workdir / f"build-{number}"
        build_dir.mkdir()
        clone = args.source or source.repository
        try:
            rebuilt = build_source(source, version_text, clone, build_dir, uv)
        except RebuildFailed as error:
            details = {"repository": source.repository, "commit": source.commit}
            results += [FileResult(c.name, "error", str(error), details) for c in mine]
            continue
        results += [compare(c, rebuilt, clone) for c in mine]
    return sorted(results, key=lambda r: r.file)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def printable(text: str) -> str:
    """text on one line, control and invisible characters escaped: a name with
    a newline could start a line with `::`, a GitHub Actions workflow command."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


# --- Command line ----------------------------------------------------------------
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
WORKFLOW = re.compile(r"[^/@\s]+\.ya?ml")
# Characters git allows in a tag name (and no braces but the placeholder).
TAG = re.compile(r"(?:[A-Za-z0-9._+/-]*)\{version\}(?:[A-Za-z0-9._+/-]*)")
# A branch or tag as a certificate records it (a rehearsal signs at a branch).
REF = re.compile(r"refs/(?:heads|tags)/[A-Za-z0-9._+-]+(?:/[A-Za-z0-9._+-]+)*")
COMMIT = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")  # SHA-1 or SHA-256
REPOSITORY_ID = re.compile(r"[1-9][0-9]{0,19}")
PYPROJECT = "pyproject.toml"
TOOL_TABLE = "verify-attestations"


def positive(text: str) -> float:
    # argparse reports the ValueError of float() or int() as a usage error.
    if not (value := float(text)) > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def count(text: str) -> int:
    if (value := int(text)) < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def parser() -> argparse.ArgumentParser:
    # The help is the module's docstring: its summary and usage at the top, the
    # paragraph that starts with a mode's name on that mode's page, the others
    # after the modes; each as written (raw: the usage lines are a block).
    summary, usage, *paragraphs = (__doc__ or "").strip().split("\n\n")
    own = {p.split()[0].strip("`"): p for p in paragraphs if p.startswith("`")}
    shared = "\n\n".join(p for p in paragraphs if not p.startswith("`"))
    raw = argparse.RawDescriptionHelpFormatter
    common = argparse.ArgumentParser(add_help=False)
    expected = common.add_argument_group(
        "expected identity",
        f"Each defaults to the project's {PYPROJECT} ([project] name and "
        f"[tool.{TOOL_TABLE}]); a flag wins over the file.",
    )
    for name, metavar, text in (
        ("--repository", "OWNER/NAME", "GitHub repository that must have signed"),
        ("--workflow", "FILE", "workflow file name under .github/workflows/"),
        ("--environment", "NAME", "trusted publisher's environment, '' for none"),
        ("--package", "NAME", "distribution name the files must belong to"),
        ("--tag", "PATTERN", "the release tag, {version} for the file's version"),
        ("--commit", "SHA", 'full commit hash to be signed at ("${GITHUB_SHA}")'),
        ("--ref", "REF", "a full git ref to be signed at instead of the tag"),
        ("--repository-id", "ID", "GitHub's numeric id of the repository"),
    ):
        expected.add_argument(name, metavar=metavar, help=text)
    text = f"where the defaults are read (default: {PYPROJECT})"
    expected.add_argument("--pyproject", type=Path, metavar="FILE", help=text)
    text = "read no file: every expected value comes from the flags"
    expected.add_argument("--no-pyproject", action="store_true", help=text)
    options = common.add_argument_group("options")
    pylock = "also check that this pylock.toml names the same identity"
    options.add_argument("--pylock", type=Path, metavar="FILE", help=pylock)
    for name, text in (
        ("--staging", "verify against Sigstore's staging instance (test uploads)"),
        ("--offline", "use the trust root cached or bundled with sigstore"),
        ("--json", "print JSON"),
    ):
        options.add_argument(name, action="store_true", help=text)
    index = argparse.ArgumentParser(add_help=False, parents=[common])
    url = "simple API endpoint, https (default: pypi-simple's PYPI_SIMPLE_ENDPOINT)"
    index.add_argument("--index-url", metavar="URL", help=url)
    local = "tests only: accept plain http from 127.0.0.1, ::1 or localhost"
    index.add_argument("--insecure-local-index", action="store_true", help=local)
    timeout = "of each request, in seconds (default: %(default)s)"
    index.add_argument("--timeout", type=positive, default=30.0, help=timeout)
    most, choices = len(RETRY_DELAYS), range(len(RETRY_DELAYS) + 1)
    text = "of a request that failed on the network (default: %(default)s)"
    index.add_argument("--retries", type=int, default=most, choices=choices, help=text)
    jobs = "files fetched at once (default: %(default)s)"
    index.add_argument("--jobs", type=count, default=8, metavar="N", help=jobs)
    top = argparse.ArgumentParser(
        prog="verify_attestations.py",
        description=f"{summary}\n\n{usage}",
        epilog=shared,
        formatter_class=raw,
    )
    modes = top.add_subparsers(dest="mode", required=True, metavar="MODE")
    for mode, parent in (("dist", common), ("release", index), ("rebuild", index)):
        help = own[mode].partition(":")[0].removeprefix(f"`{mode}` ")
        modes.add_parser(
            mode,
            parents=[parent],
            help=help,
            description=own[mode],
            epilog=shared,
            formatter_class=raw,
        )
    dist, release, rebuild = modes.choices.values()
    dist.add_argument("directory", nargs="?", default=Path("dist"), type=Path)
    release.add_argument("version", metavar="VERSION")
    sums = "sha256sum's list of the release: the index must hold exactly these"
    release.add_argument("--sha256sums", type=Path, metavar="FILE", help=sums)
    rebuild.add_argument("version", nargs="?", metavar="VERSION")
    rebuild.add_argument("--dist", type=Path, metavar="DIR", help="local files")
    rebuild.add_argument("--source", help="clone from this mirror instead")
    return top


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table, or CannotCheck in one line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CannotCheck(f"cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CannotCheck(f"{path} is not TOML: {error}") from None
    # tomllib recurses once per nested array or table: no limit of its own.
    except RecursionError:
        raise CannotCheck(f"{path} is nested too deeply to be read") from None


def project_defaults(path: Path) -> dict[str, str]:
    """The identity pyproject.toml declares; missing keys (or file) left out."""
    if not os.path.lexists(path):
        return {}
    data = read_toml(path)
    table, project = data.get("tool", {}).get(TOOL_TABLE, {}), data.get("project", {})
    if not isinstance(table, dict) or not isinstance(project, dict):
        raise CannotCheck(f"{path}: [project] and [tool.{TOOL_TABLE}] must be tables")
    keys = ("repository", "workflow", "environment", "tag", "repository-id")
    found = {key: table.get(key) for key in keys} | {"package": project.get("name")}
    # TOML writes a number bare; the id is compared as the certificate's text.
    if type(found["repository-id"]) is int:
        found["repository-id"] = str(found["repository-id"])
    for key, value in found.items():
        if value is not None and not isinstance(value, str):
            raise CannotCheck(f"{path}: {key} must be a string")
    return {key.replace("-", "_"): v for key, v in found.items() if v is not None}


def expected_from(args: argparse.Namespace) -> tuple[Identity, Source]:
    """The identity and source to check: the flags, or the project's defaults
    (none with --no-pyproject: a checked-out file cannot change them)."""
    if args.no_pyproject and args.pyproject is not None:
        raise CannotCheck("--no-pyproject reads no file: give it no --pyproject")
    pyproject = args.pyproject or Path(PYPROJECT)
    defaults = {} if args.no_pyproject else project_defaults(pyproject)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    needed = ("package", "repository", "workflow", "environment")
    if missing := [f"--{key}" for key in needed if getattr(args, key) is None]:
        where = f"or run where {pyproject} declares them ([project] name, "
        where += f"[tool.{TOOL_TABLE}])"
        if args.no_pyproject:
            where = "--no-pyproject reads them from no file"
        raise CannotCheck(f"no expected {', '.join(missing)}: pass them, {where}")
    if not REPOSITORY.fullmatch(args.repository):
        raise CannotCheck(f"--repository {args.repository!r} is not OWNER/NAME")
    if not WORKFLOW.fullmatch(args.workflow):
        raise CannotCheck(
            f"--workflow {args.workflow!r} is not a workflow file name "
            "(such as publish.yml, without .github/workflows/)"
        )
    identity = Identity(args.repository, args.workflow, args.environment.strip())
    tag = "v{version}" if args.tag is None else args.tag
    commit, repository_id = args.commit, args.repository_id
    if not TAG.fullmatch(tag):
        raise CannotCheck(
            f"--tag {tag!r} is not a tag pattern: a tag name holding "
            "{version} once, such as v{version}"
        )
    if commit is not None and not COMMIT.fullmatch(commit):
        raise CannotCheck(f"--commit {commit!r} is not a full commit hash")
    if repository_id is not None and not REPOSITORY_ID.fullmatch(repository_id):
        raise CannotCheck(f"--repository-id {repository_id!r} is not a number")
    if args.ref is not None and not REF.fullmatch(args.ref):
        raise CannotCheck(
            f"--ref {args.ref!r} is not a full git ref such as refs/heads/main"
        )
    source = Source(tag, commit and commit.lower(), repository_id, args.ref)
    return identity, source


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # sigstore logs a warning each time it reads the trust root from its cache;
    # the output says which instance is used, once.
    logging.getLogger("sigstore").setLevel(logging.ERROR)
    try:
        report = run(args)
    except CannotCheck as error:
        message = str(error)
    # A case not foreseen still gets one line, and exit status 2 ("could not
    # check"): a traceback's status 1 would read as evidence against a file.
    except Exception as error:  # noqa: BLE001
        message = f"unexpected {type(error).__name__}: {error}"
    else:
        print(report.as_json() if args.json else report.as_text())
        return report.exit_code
    if args.json:
        print(json.dumps({"error": message, "exit_code": 2}, indent=2))
    else:
        print(printable(f"error: {message}"), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
