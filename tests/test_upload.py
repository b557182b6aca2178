"""The uv flow's upload step, run for real against a local index.

The server plays GitHub's OIDC token endpoint and an index's trusted-publishing
token exchange and legacy upload API, over TLS with a throwaway CA, so the
workflow's exact `uv publish --trusted-publishing always ...` command runs.
"""

from __future__ import annotations

import base64
import datetime
import email.parser
import email.policy
import http.server
import ipaddress
import json
import shutil
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Step, job_run_steps, run_step, shared_data

SDIST = "pypi_attestations-0.0.19.tar.gz"
WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
MINTED = "pypi-minted-for-this-test"


def certificate_pair(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a leaf for 127.0.0.1 signed by it: (ca, leaf, leaf key)."""
    now = datetime.datetime.now(datetime.UTC)

    def build(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, ca: bool
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca_cert = (
        build("test CA", ca_key, ca_name, ca=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        build("127.0.0.1", leaf_key, ca_name, ca=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, leaf_path, key_path = (
        directory / "ca.pem",
        directory / "leaf.pem",
        directory / "leaf-key.pem",
    )
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    leaf_path.write_bytes(leaf_cert.public_bytes(pem))
    key_path.write_bytes(
        leaf_key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, leaf_path, key_path


@dataclass
class Index:
    url: str
    ca: Path
    uploads: list[dict[str, Any]] = field(default_factory=list)
    exchanged: list[str] = field(default_factory=list)


def parse_form(content_type: str, body: bytes) -> dict[str, Any]:
    """The multipart form of a legacy upload: field name -> text or bytes."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        form[str(name)] = payload if part.get_filename() else payload.decode("utf-8")
    return form


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    ca, leaf, key = certificate_pair(tmp_path)
    state = Index(url="", ca=ca)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/github-oidc"):
                self.reply(200, {"value": "an.oidc.jwt"})
            elif self.path == "/_/oidc/audience":
                self.reply(200, {"audience": "test-index"})
            else:
                self.reply(404, {})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/_/oidc/mint-token":
                state.exchanged.append(json.loads(body)["token"])
                self.reply(200, {"success": True, "token": MINTED})
            elif self.path == "/legacy/":
                form = parse_form(self.headers["Content-Type"], body)
                form["authorization"] = self.headers["Authorization"]
                state.uploads.append(form)
                self.reply(200, {})
            else:
                self.reply(404, {})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the serving loop's next poll (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield state
    server.shutdown()


def upload_step(project: Path) -> Step:
    steps = job_run_steps(project / ".github/workflows/publish.yml", "publish")
    (found,) = [s for s in steps if s.script.startswith("uv publish")]
    return found


def test_uv_publish_uploads_the_attestation_with_the_file(
    renders: Any, index: Index, tmp_path: Path
) -> None:
    fixtures = shared_data("fixtures/attestations")
    project = renders({"publishing_tool": "uv"})
    dist = tmp_path / "dist"
    dist.mkdir()
    # The sdist with its attestation, and a wheel without one.
    for name in (SDIST, f"{SDIST}.publish.attestation", WHEEL):
        shutil.copy(fixtures / name, dist / name)

    result = run_step(
        tmp_path,
        upload_step(project),
        "v0.0.19",
        env={
            "SSL_CERT_FILE": str(index.ca),
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{index.url}/github-oidc?v=1",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-token",
            "UV_PUBLISH_URL": f"{index.url}/legacy/",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr

    assert index.exchanged == ["an.oidc.jwt"], "trusted publishing was not used"
    by_file = {u["content"]: u for u in index.uploads}
    assert len(index.uploads) == 2
    assert "attestations" not in by_file[(fixtures / WHEEL).read_bytes()]
    upload = by_file[(fixtures / SDIST).read_bytes()]
    assert upload["content"] == (fixtures / SDIST).read_bytes()
    assert upload["name"] == "pypi-attestations"
    attestations = json.loads(upload["attestations"])
    expected = json.loads((fixtures / f"{SDIST}.publish.attestation").read_text())
    assert attestations == [expected]
    user, _, token = (
        base64.b64decode(upload["authorization"].split()[1]).decode().partition(":")
    )
    assert (user, token) == ("__token__", MINTED)


def test_uv_publish_refuses_without_trusted_publishing(
    renders: Any, index: Index, tmp_path: Path
) -> None:
    fixtures = shared_data("fixtures/attestations")
    project = renders({"publishing_tool": "uv"})
    (tmp_path / "dist").mkdir()
    for name in (SDIST, WHEEL):
        shutil.copy(fixtures / name, tmp_path / "dist" / name)
    result = run_step(
        tmp_path,
        upload_step(project),
        "v0.0.19",
        env={
            "SSL_CERT_FILE": str(index.ca),
            "UV_PUBLISH_URL": f"{index.url}/legacy/",
            "UV_PUBLISH_TOKEN": "a-stored-token-must-not-be-used",
        },
    )
    assert result.returncode != 0
    assert not index.uploads
