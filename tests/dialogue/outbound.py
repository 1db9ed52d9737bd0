"""Test doubles that are real servers on loopback: an SMTP server (aiosmtpd) and a webhook receiver
(a Starlette app under uvicorn), plus workers pointed at the test databases and the in-process registry."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from services.dialogue.worker import Worker
from tests.conftest import dialogue_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- SMTP ----------------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """What the SMTP server received: one entry per message, with its envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


# --- webhook receiver -----------------------------------------------------------------------------------

@dataclass
class Receiver:
    """Answers 500 to its first `failures` requests, then 200; checks every signature with the secret."""

    port: int
    secret: str | None = None
    failures: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ashyq"

    async def endpoint(self, request: Request) -> PlainTextResponse:
        body = await request.body()
        headers = dict(request.headers)
        verified = False
        if self.secret:
            try:
                Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        failing = len(self.requests) < self.failures
        self.requests.append({"headers": headers, "body": body, "verified": verified,
                              "answered": 500 if failing else 200})
        return PlainTextResponse("not now" if failing else "ok", status_code=500 if failing else 200)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(port=free_port())
    app = Starlette(routes=[Route("/hooks/ashyq", receiver.endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the webhook receiver did not start"
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- workers --------------------------------------------------------------------------------------------

def worker_settings(database_url: str, **overrides: Any) -> Any:
    return dialogue_settings(database_url).model_copy(update={
        "smtp_host": "", "smtp_starttls": False, "worker_lease_seconds": 30.0,
        "webhook_retry_seconds": [0.05], "webhook_allowed_hosts": ["127.0.0.1"], "public_url": "https://ashyq.kz",
        **overrides})


WorkerFactory = Callable[..., Any]


@asynccontextmanager
async def workers(database_url: str, orgs_app: Any, count: int = 1, **overrides: Any) -> AsyncIterator[list[Worker]]:
    """`count` workers, each with its own engine (its own connections), as separate processes would have."""
    settings = worker_settings(database_url, **overrides)
    started: list[Worker] = []
    try:
        for n in range(count):
            worker = Worker(settings, name=f"test-worker-{n + 1}", orgs_transport=httpx.ASGITransport(app=orgs_app))
            started.append(await worker.__aenter__())
        yield started
    finally:
        for worker in started:
            await worker.__aexit__(None, None, None)
