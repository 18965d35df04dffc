"""A TLS front for a plaintext Temporal server, as a cluster secured the way Temporal's
deployment guides ask: the proxy holds the server certificate (signed by a test CA, trustme)
and, for mTLS, asks every client for a certificate signed by that CA; it forwards the bytes
to the server behind it."""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trustme


@dataclass
class Certificates:
    ca: trustme.CA
    server: trustme.LeafCert
    client: trustme.LeafCert

    @classmethod
    def make(cls, name: str = "temporal.test") -> "Certificates":
        ca = trustme.CA()
        return cls(ca, ca.issue_cert(name), ca.issue_cert("stepline-worker@example.com"))

    @property
    def ca_pem(self) -> str:
        return self.ca.cert_pem.bytes().decode()

    @property
    def client_cert_pem(self) -> str:
        return b"".join(blob.bytes() for blob in self.client.cert_chain_pems).decode()

    @property
    def client_key_pem(self) -> str:
        return self.client.private_key_pem.bytes().decode()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@asynccontextmanager
async def tls_proxy(target: str, certs: Certificates, *, mutual: bool) -> AsyncIterator[str]:
    """Serve TLS (with ALPN h2, as gRPC needs) on a free port in front of `target`; yields
    `127.0.0.1:port`. `mutual`: a client without a certificate of the CA is refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certs.server.configure_cert(context)
    context.set_alpn_protocols(["h2"])
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        certs.ca.configure_trust(context)
    host, _, port = target.rpartition(":")
    tasks: set[asyncio.Task] = set()

    async def forward(client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        both = asyncio.gather(
            _pipe(client_reader, server_writer), _pipe(server_reader, client_writer)
        )
        tasks.add(both)
        both.add_done_callback(tasks.discard)
        await both

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    address = server.sockets[0].getsockname()
    try:
        yield f"127.0.0.1:{address[1]}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)
