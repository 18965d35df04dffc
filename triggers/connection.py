"""How stepline reaches Temporal: the address and namespace, TLS (the server's CA, an mTLS
client certificate, the server name) and Temporal Cloud's API key, from the settings
(core/temporal_settings.py), for the worker and the API alike. A setting that cannot work — a
CA that did not sign the server's certificate, a client certificate the server asks for and
does not get — stops the process at start with one line naming it; a server that is merely
not up yet is waited for."""

import asyncio
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from core.config import Settings, die

log = logging.getLogger("stepline.temporal")


class TemporalSettingError(RuntimeError):
    """Temporal refused the connection for a reason a setting must fix; its text names it."""


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The client's `tls` option: False (plaintext) unless a TLS setting is given."""
    if not settings.temporal_uses_tls:
        return False
    key = settings.temporal_tls_key
    return TLSConfig(
        server_root_ca_cert=_bytes(settings.temporal_tls_ca),
        domain=settings.temporal_tls_server_name,
        client_cert=_bytes(settings.temporal_tls_cert),
        client_private_key=_bytes(key.get_secret_value() if key else None),
    )


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text else None


def options(settings: Settings) -> dict:
    """Client.connect's keyword arguments for these settings."""
    key = settings.temporal_api_key
    return {
        "namespace": settings.temporal_namespace,
        "data_converter": pydantic_data_converter,
        "tls": tls_config(settings),
        "api_key": key.get_secret_value() if key else None,
    }


def setting_problem(settings: Settings, exc: BaseException) -> str | None:
    """What a connection error says about the settings, in one line naming the one to fix;
    None when it may be passing (a server not up yet, a network away)."""
    text = str(exc)
    where = f"Temporal at {settings.temporal_address}"
    if "UnknownIssuer" in text:
        if settings.temporal_tls_ca:
            return (
                f"{where}: its certificate is not signed by the CA in STEPLINE_TEMPORAL_TLS_CA"
                " (it must be the CA that signed the server's certificate)"
            )
        return (
            f"{where}: its certificate is not signed by a CA this system trusts: set"
            " STEPLINE_TEMPORAL_TLS_CA to the CA that signed it"
        )
    if "NotValidForName" in text:
        name = settings.temporal_tls_server_name or settings.temporal_address.rpartition(":")[0]
        return (
            f"{where}: its certificate is not valid for the name {name!r}: set"
            " STEPLINE_TEMPORAL_TLS_SERVER_NAME to the name the certificate carries"
        )
    if found := re.search(r"InvalidCertificate\((\w+)", text):
        return f"{where}: its certificate is refused ({found[1]}), see STEPLINE_TEMPORAL_TLS_CA"
    refused = ("CertificateRequired", "BadCertificate", "UnknownCA", "without sending TLS close")
    if settings.temporal_uses_tls and any(word in text for word in refused):
        if settings.temporal_tls_cert is None:
            return (
                f"{where} closed the TLS connection: it asks for a client certificate (mTLS):"
                " set STEPLINE_TEMPORAL_TLS_CERT and STEPLINE_TEMPORAL_TLS_KEY"
            )
        return (
            f"{where} refused the client certificate in STEPLINE_TEMPORAL_TLS_CERT: it must be"
            " signed by a CA the server trusts for clients"
        )
    if settings.temporal_uses_tls and ("InvalidContentType" in text or "CorruptMessage" in text):
        return (
            f"{where} does not speak TLS: unset STEPLINE_TEMPORAL_TLS (and the other"
            " STEPLINE_TEMPORAL_TLS_… settings), or point STEPLINE_TEMPORAL_ADDRESS at its TLS port"
        )
    return None


async def connect(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """Temporal's client; a server still starting (or restarting) is waited for, up to
    STEPLINE_TEMPORAL_CONNECT_TIMEOUT seconds; a setting Temporal refuses stops at once
    (TemporalSettingError)."""
    deadline = time.monotonic() + settings.temporal_connect_timeout
    pause = 0.5
    while True:
        try:
            return await Client.connect(
                settings.temporal_address, runtime=runtime, **options(settings)
            )
        except RuntimeError as exc:
            if problem := setting_problem(settings, exc):
                raise TemporalSettingError(problem) from None
            if time.monotonic() + pause > deadline:
                raise RuntimeError(_unreachable(settings, exc)) from None
            log.warning(
                "Temporal at %s not reachable yet, trying again in %.1fs: %s",
                settings.temporal_address,
                pause,
                exc,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


def _unreachable(settings: Settings, exc: BaseException) -> str:
    hint = (
        ""
        if settings.temporal_uses_tls
        else " (if its frontend takes TLS only, set STEPLINE_TEMPORAL_TLS=true)"
    )
    return (
        f"Temporal at {settings.temporal_address} not reachable within"
        f" {settings.temporal_connect_timeout:g} s (STEPLINE_TEMPORAL_CONNECT_TIMEOUT){hint}: {exc}"
    )


async def connect_lazily(settings: Settings) -> Client:
    """A client that connects on first use, so the API starts (and says so on /readyz) while
    Temporal is still down."""
    return await Client.connect(settings.temporal_address, lazy=True, **options(settings))


async def check_settings(settings: Settings, *, timeout: float = 5.0) -> None:
    """One try at connecting: raise TemporalSettingError if Temporal refuses the settings;
    a server that does not answer (down, starting) is not this check's business."""
    try:
        await asyncio.wait_for(
            Client.connect(settings.temporal_address, **options(settings)), timeout
        )
    except (RuntimeError, TimeoutError) as exc:
        if problem := setting_problem(settings, exc):
            raise TemporalSettingError(problem) from None


def require_usable(settings: Settings) -> None:
    """At the start of a process serving requests: stop it (exit 2, one line naming the
    setting) if Temporal refuses its TLS settings. From a thread of its own: the caller may
    be inside an event loop that is not running yet (uvicorn loading the app)."""
    if not settings.temporal_uses_tls:
        return  # nothing a plaintext connection can get wrong that waiting does not mend
    with ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, check_settings(settings)).result()
        except TemporalSettingError as exc:
            die(str(exc))
