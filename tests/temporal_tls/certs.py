"""The test certificates: a CA for the secured Temporal front, its server and client
certificates, and a stranger CA with the same names; written as files the way a container gets
them (`…_FILE` variables)."""

from pathlib import Path

from tests.support.tls_proxy import Certificates

SERVER_NAME = "temporal.test"
CERTS = Certificates.make(SERVER_NAME)
STRANGER = Certificates.make(SERVER_NAME)  # the same names, signed by another CA


def tls_files(folder: Path, certs: Certificates) -> dict[str, str]:
    """The CA of `certs` and this stack's client certificate and key as a container gets them:
    files, named by `…_FILE` variables."""
    files = {
        "STEPLINE_TEMPORAL_TLS_CA_FILE": ("ca.pem", certs.ca_pem),
        "STEPLINE_TEMPORAL_TLS_CERT_FILE": ("client.pem", CERTS.client_cert_pem),
        "STEPLINE_TEMPORAL_TLS_KEY_FILE": ("client.key", CERTS.client_key_pem),
    }
    env = {"STEPLINE_TEMPORAL_TLS_SERVER_NAME": SERVER_NAME}
    for variable, (name, text) in files.items():
        (folder / name).write_text(text + "\n")
        env[variable] = str(folder / name)
    return env
