"""Logs of every service and the worker: one JSON object per line, the request id, personal data masked.

`configure_logging` is called once per process by the `ashyq` command (services/cli.py); every logger — ours
(`logging.getLogger("ashyq...")`, structlog's), uvicorn's, Alembic's — then writes through one handler on
standard error, so standard output stays free for what a command prints. Each line carries `timestamp`
(UTC, ISO 8601), `level`, `logger`, `event`, `service` and `request_id`, plus any `extra=` fields.

Request ids: `install_request_logging` puts asgi-correlation-id in front of an app. It takes `X-Request-ID` from
the caller when it looks like one (1-100 letters, digits, `.`, `_`, `-`), else makes one, echoes it in the
response and keeps it in a context variable that every log line of the request reads, and that
`forward_request_id` sends on to the next service.

Personal data never belongs in a log, and the code logs none; `mask_personal_data` is the net under that rule:
any value under a key such as `password`, `token`, `email`, `phone`, `iin`, and anything in any string that
looks like an e-mail address, a Kazakh phone number, a 12-digit IIN/BIN, a bearer token, a JWT, an API key or a
webhook secret becomes `[masked]`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import httpx
import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.settings import LogFormat

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")

MASK = "[masked]"
# Keys whose values are secret or personal whatever they look like.
_SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authori[sz]ation|api[-_]?key|cookie|e[-_]?mail|phone|(^|[-_])iin($|[-_])",
    re.IGNORECASE)
# Values that are secret or personal wherever they appear, even inside a message or a traceback.
_SENSITIVE_VALUE = re.compile("|".join([
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail address
    r"\b[Bb]earer\s+[\w.~+/=-]+",  # Authorization header value
    r"\beyJ[\w-]*\.[\w-]+\.[\w-]*",  # JWT (service tokens)
    r"\bashyq_[A-Za-z0-9]{8}_[\w-]{20,}",  # API key (services/orgs/accounts.py: ashyq_<prefix>_<secret>)
    r"\bwhsec_[A-Za-z0-9+/=]{16,}",  # webhook signing secret
    r"(?<![\w+-])(?:\+7|8|7)[\s(-]{0,2}\d{3}[\s)-]{0,2}\d{3}[\s-]?\d{2}[\s-]?\d{2}(?![\w-])",  # phone in Kazakhstan
    r"(?<![\w-])\d{12}(?![\w-])",  # IIN (a BIN looks the same and is masked too: no harm)
]))
_NOT_MASKED = frozenset({"timestamp", "level", "logger"})

# Libraries that would log whole URLs (query strings hold search terms) or every request at INFO.
_QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "uvicorn.access": logging.WARNING,
                  "multipart": logging.WARNING, "fontTools": logging.WARNING, "weasyprint": logging.WARNING,
                  "aiosqlite": logging.INFO}  # at DEBUG it logs every statement with its parameters


def is_request_id(value: str) -> bool:
    """An `X-Request-ID` worth keeping: short, and harmless in a header and a log line."""
    return bool(_REQUEST_ID.fullmatch(value))


def current_request_id() -> str | None:
    """The id of the request being served in this task, if any."""
    return correlation_id.get()


def mask_text(text: str) -> str:
    return _SENSITIVE_VALUE.sub(MASK, text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: MASK if isinstance(k, str) and _SENSITIVE_KEY.search(k) else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(v) for v in value]
    return value


def mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the net that keeps personal data and secrets out of every log line."""
    for key, value in list(event_dict.items()):
        if key in _NOT_MASKED:
            continue
        if _SENSITIVE_KEY.search(key) and value is not None:
            event_dict[key] = MASK
        else:
            event_dict[key] = _masked(value)
    return event_dict


def _add_request_id(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event_dict.setdefault("request_id", correlation_id.get())
    event_dict.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event_dict


def _service_adder(service: str) -> structlog.types.Processor:
    def add_service(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


class _AshyqHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler configure_logging installs (and replaces when called again)."""


def configure_logging(service: str, *, level: str = "INFO", fmt: LogFormat = "json",
                      stream: TextIO | None = None) -> None:
    """Route every logger of this process through structlog: JSON lines (or readable ones for development)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _service_adder(service),
        _add_request_id,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, mask_personal_data, renderer],
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _AshyqHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AshyqHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    # uvicorn's own loggers write through the root handler (uvicorn.run(..., log_config=None) keeps them bare).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


# --- requests ------------------------------------------------------------------------------------------------

_QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})  # probes and scrapes: every few seconds, DEBUG only


class AccessLog:
    """One line per request, in place of uvicorn's access log: method, path, status, duration_ms.

    The path is logged without its query string (it may hold search terms or personal data); the masking
    processor still looks at the path itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("ashyq.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            path, method = scope.get("path", ""), scope.get("method", "")
            level = logging.DEBUG if path in _QUIET_PATHS and status < 400 else logging.INFO
            self.log.log(level, "%s %s %s", method, path, status, extra={
                "method": method, "path": path, "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def install_request_logging(app: Starlette) -> None:
    """Access log and request ids for an app; call it after every other `add_middleware`.

    The request-id middleware goes outside even Starlette's ServerErrorMiddleware (which `add_middleware` cannot
    reach), so that an unexpected 500 carries the id too, and so do the log lines about it.
    """
    app.add_middleware(AccessLog)
    build = app.build_middleware_stack

    def build_with_request_id() -> ASGIApp:
        return CorrelationIdMiddleware(build(), header_name=REQUEST_ID_HEADER, validator=is_request_id)

    app.build_middleware_stack = build_with_request_id  # type: ignore[method-assign]


async def forward_request_id(request: httpx.Request) -> None:
    """httpx request hook: the id of the request being served goes on to the service called."""
    request_id = correlation_id.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id
