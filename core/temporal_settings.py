"""Where Temporal is and how to reach it: address, namespace, TLS (server CA, mTLS client
certificate, server name) and Temporal Cloud's API key (docs/SETTINGS.md). `Settings` inherits
these; triggers/connection.py turns them into the client's options."""

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings


class TemporalSettings(BaseSettings):
    temporal_address: str = Field("localhost:7233", alias="STEPLINE_TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="STEPLINE_TEMPORAL_NAMESPACE", min_length=1)
    # how long a starting worker keeps trying to reach Temporal (a restart of both at once)
    temporal_connect_timeout: float = Field(
        60.0, alias="STEPLINE_TEMPORAL_CONNECT_TIMEOUT", ge=0, le=3600
    )
    # TLS to Temporal (a self-hosted cluster secured with TLS or mTLS, Temporal Cloud): on when
    # set, or when any setting below is; the server's certificate is checked against the
    # system's CAs unless STEPLINE_TEMPORAL_TLS_CA names the one that signed it
    temporal_tls: bool = Field(False, alias="STEPLINE_TEMPORAL_TLS")
    temporal_tls_ca: str | None = Field(None, alias="STEPLINE_TEMPORAL_TLS_CA")
    # mTLS: this process's client certificate and its private key (PEM), both or neither
    temporal_tls_cert: str | None = Field(None, alias="STEPLINE_TEMPORAL_TLS_CERT")
    temporal_tls_key: SecretStr | None = Field(None, alias="STEPLINE_TEMPORAL_TLS_KEY")
    # the name the server's certificate must carry, when not the host of the address
    temporal_tls_server_name: str | None = Field(
        None, alias="STEPLINE_TEMPORAL_TLS_SERVER_NAME", min_length=1, max_length=253
    )
    # Temporal Cloud's API key (sent as a bearer token, over TLS)
    temporal_api_key: SecretStr | None = Field(None, alias="STEPLINE_TEMPORAL_API_KEY")

    @field_validator("temporal_tls_ca", "temporal_tls_cert")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and "-----BEGIN CERTIFICATE-----" not in value:
            raise ValueError("must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
        return value

    @field_validator("temporal_tls_key")
    @classmethod
    def _private_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and "PRIVATE KEY-----" not in value.get_secret_value():
            raise ValueError("must be a PEM private key (-----BEGIN PRIVATE KEY-----)")
        return value

    @model_validator(mode="after")
    def _client_pair(self) -> "TemporalSettings":
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            given, missing = (
                ("STEPLINE_TEMPORAL_TLS_CERT", "STEPLINE_TEMPORAL_TLS_KEY")
                if self.temporal_tls_key is None
                else ("STEPLINE_TEMPORAL_TLS_KEY", "STEPLINE_TEMPORAL_TLS_CERT")
            )
            raise ValueError(f"{given} is set but {missing} is not: mTLS needs both")
        return self

    @property
    def temporal_uses_tls(self) -> bool:
        return self.temporal_tls or any(
            value is not None
            for value in (
                self.temporal_tls_ca,
                self.temporal_tls_cert,
                self.temporal_tls_server_name,
                self.temporal_api_key,
            )
        )

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("must be host:port, e.g. localhost:7233")
        return value
