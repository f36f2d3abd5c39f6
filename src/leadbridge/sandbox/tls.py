"""A local CA and server certificate (trustme), kept under the data folder so clients can trust it."""

from __future__ import annotations

from pathlib import Path

import trustme


def ensure_certificates(data_dir: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server cert chain, server key), created on first start."""
    folder = Path(data_dir) / "tls"
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    if not (ca_file.exists() and cert_file.exists() and key_file.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="leadbridge sandbox CA")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(ca_file))
        cert.private_key_pem.write_to_path(str(key_file))
        with cert_file.open("wb") as fh:
            for blob in cert.cert_chain_pems:
                fh.write(blob.bytes())
    return ca_file, cert_file, key_file
