"""Settings from `…_FILE` files (as orchestrators mount secrets) and the Temporal TLS and API
key settings: how they are read, what is refused at start and with which line."""

import os
import subprocess
import sys

import pytest
from temporalio.service import TLSConfig

from cli.devstate import ROOT
from core.config import FROM_FILES, Settings, load_settings
from tests.support.tls_proxy import Certificates
from triggers import connection

CERTS = Certificates.make()


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    """No STEPLINE_/LINE_ variable of the machine, no .env: only what each test sets."""
    for name in list(os.environ):
        if name.startswith(("STEPLINE_", "LINE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def stopped(capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        load_settings()
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    return line


def test_each_secret_can_come_from_a_file_without_its_line_break(monkeypatch, tmp_path):
    for variable in FROM_FILES:
        assert variable in {f.alias for f in Settings.model_fields.values()}
    (tmp_path / "token").write_text("s3cret-token\n")
    (tmp_path / "db").write_text("postgresql+psycopg://u:p@db/stepline\n")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("STEPLINE_DATABASE_URL_FILE", str(tmp_path / "db"))
    settings = load_settings()
    assert settings.line_channel_access_token.get_secret_value() == "s3cret-token"
    assert settings.database_url == "postgresql+psycopg://u:p@db/stepline"


def test_a_file_variable_also_works_from_dot_env(tmp_path):
    (tmp_path / "key").write_text("cloud-key")
    (tmp_path / ".env").write_text(f"STEPLINE_TEMPORAL_API_KEY_FILE={tmp_path / 'key'}\n")
    assert load_settings().temporal_api_key.get_secret_value() == "cloud-key"


def test_a_value_and_its_file_together_are_refused(monkeypatch, tmp_path, capsys):
    (tmp_path / "secret").write_text("x")
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "y")
    monkeypatch.setenv("LINE_CHANNEL_SECRET_FILE", str(tmp_path / "secret"))
    assert stopped(capsys) == (
        "stepline: LINE_CHANNEL_SECRET and LINE_CHANNEL_SECRET_FILE are both set:"
        " give the value or the file, not both"
    )


def test_a_missing_or_empty_file_names_its_variable(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STEPLINE_ADMIN_TOKEN_FILE", str(tmp_path / "nope"))
    assert stopped(capsys) == (
        f"stepline: STEPLINE_ADMIN_TOKEN_FILE: cannot read {tmp_path / 'nope'}:"
        " No such file or directory"
    )
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("STEPLINE_ADMIN_TOKEN_FILE", str(tmp_path / "empty"))
    assert stopped(capsys) == f"stepline: STEPLINE_ADMIN_TOKEN_FILE: {tmp_path / 'empty'} is empty"


def test_a_certificate_that_is_not_pem_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_CA", "/etc/ssl/ca.pem")  # a path, not the PEM
    line = stopped(capsys)
    assert line.startswith("stepline: STEPLINE_TEMPORAL_TLS_CA is invalid:")
    assert "must be a PEM certificate" in line


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("STEPLINE_TEMPORAL_TLS_CERT", "STEPLINE_TEMPORAL_TLS_KEY"),
        ("STEPLINE_TEMPORAL_TLS_KEY", "STEPLINE_TEMPORAL_TLS_CERT"),
    ],
)
def test_a_client_certificate_needs_its_key(monkeypatch, capsys, given, missing):
    pem = {
        "STEPLINE_TEMPORAL_TLS_CERT": CERTS.client_cert_pem,
        "STEPLINE_TEMPORAL_TLS_KEY": CERTS.client_key_pem,
    }
    monkeypatch.setenv(given, pem[given])
    assert stopped(capsys) == f"stepline: {given} is set but {missing} is not: mTLS needs both"


def test_plaintext_unless_told():
    settings = Settings()
    assert not settings.temporal_uses_tls
    assert connection.options(settings)["tls"] is False
    assert connection.options(settings)["api_key"] is None


def test_an_api_key_alone_means_tls_with_the_systems_cas(monkeypatch):
    """Temporal Cloud: the namespace's endpoint, its API key; the server's certificate is a
    public one."""
    monkeypatch.setenv("STEPLINE_TEMPORAL_ADDRESS", "eu-west-1.aws.api.temporal.io:7233")
    monkeypatch.setenv("STEPLINE_TEMPORAL_NAMESPACE", "shop.a1b2c")
    monkeypatch.setenv("STEPLINE_TEMPORAL_API_KEY", "key-123")
    options = connection.options(load_settings())
    assert options["api_key"] == "key-123"
    assert options["namespace"] == "shop.a1b2c"
    assert options["tls"] == TLSConfig()


def test_mtls_settings_become_the_clients_tls_config(monkeypatch):
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_CA", CERTS.ca_pem)
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_CERT", CERTS.client_cert_pem)
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_KEY", CERTS.client_key_pem)
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    tls = connection.options(load_settings())["tls"]
    assert tls == TLSConfig(
        server_root_ca_cert=CERTS.ca_pem.encode(),
        domain="temporal.internal",
        client_cert=CERTS.client_cert_pem.encode(),
        client_private_key=CERTS.client_key_pem.encode(),
    )


def test_the_key_never_shows_in_the_settings_repr(monkeypatch):
    monkeypatch.setenv("STEPLINE_TEMPORAL_API_KEY", "key-123")
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_CERT", CERTS.client_cert_pem)
    monkeypatch.setenv("STEPLINE_TEMPORAL_TLS_KEY", CERTS.client_key_pem)
    shown = repr(load_settings())
    assert "key-123" not in shown and "PRIVATE KEY" not in shown


def test_the_worker_refuses_a_bad_file_setting_before_anything_else(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "STEPLINE_TEMPORAL_TLS_CA_FILE": str(tmp_path / "ca.pem")}
    done = subprocess.run(
        [sys.executable, "worker.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"stepline: STEPLINE_TEMPORAL_TLS_CA_FILE: cannot read {tmp_path / 'ca.pem'}:"
        " No such file or directory"
    )
