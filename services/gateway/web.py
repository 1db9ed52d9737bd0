"""Rendering pages: one template per page, and only its swappable block for an htmx request."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from services.gateway import i18n, labels
from services.gateway.public_copies import mark_public

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "csrf"


def make_environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.template_gettext, i18n.template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=i18n.format_date, datetime=i18n.format_datetime, time=i18n.format_time, number=i18n.format_number,
        pick_name=i18n.pick_name, paragraphs=paragraphs,
    )
    env.globals.update(LANGUAGES=i18n.LANGUAGES, LANGUAGE_NAMES=i18n.LANGUAGE_NAMES, labels=labels)
    return env


def paragraphs(text: str | None) -> Markup:
    """Plain text with blank lines as paragraphs and single newlines as line breaks, escaped."""
    if not text:
        return Markup("")
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(b.split("\n"))) for b in blocks)


def is_htmx(request: Request) -> bool:
    """An htmx request that swaps part of a page (a history restore needs the whole page)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = new_csrf_token()
        request.session[CSRF_SESSION_KEY] = token
    return token


def url_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters replaced (None removes one); the cursor always resets."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key in ("cursor", "lang"):
            continue
        params.setdefault(key, []).append(value)
    for key, value in changes.items():
        if value is None or value == "" or value == []:
            params.pop(key, None)
        elif isinstance(value, list):
            params[key] = [str(v) for v in value]
        else:
            params[key] = [str(value)]
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    return request.url.path + (f"?{query}" if query else "")


class Templates:
    def __init__(self, templates_dir: Path) -> None:
        self.env = make_environment(templates_dir)

    def render(self, request: Request, name: str, context: Mapping[str, Any] | None = None, *,
               status_code: int = 200, headers: Mapping[str, str] | None = None,
               public: bool = False) -> HTMLResponse:
        """The whole page, or for htmx the block named like the element it swaps (HX-Target), or `main`."""
        ctx: dict[str, Any] = dict(self.base_context(request))
        ctx.update(context or {})
        # The shared macros, bound to this page's context, so a block rendered alone can use them too.
        ctx["ui"] = self.env.get_template("_partials/macros.html").make_module(ctx)
        if is_htmx(request):
            template = self.env.get_template(name)
            target = (request.headers.get("hx-target") or "").replace("-", "_")
            block = target if target in template.blocks else "main"
            content = render_block(self.env, name, block, ctx)
        else:
            content = self.env.get_template(name).render(ctx)
        response = HTMLResponse(content, status_code=status_code, headers=headers)
        response.headers["Vary"] = "HX-Request, HX-Target, Cookie, Accept-Language"
        response.headers["Cache-Control"] = "no-cache, private"
        if public and status_code == 200 and ctx.get("account") is None and not ctx.get("outages"):
            mark_public(response)  # the same for every visitor not signed in: may be shared briefly
        return response

    def base_context(self, request: Request) -> dict[str, Any]:
        state = request.state
        language = i18n.current_language()
        return {
            "request": request,
            "lang": language,
            "account": getattr(state, "account", None),
            "outages": getattr(state, "outages", set()),
            "csrf_token": csrf_token(request),
            "csrf_field": CSRF_FIELD,
            "csrf_header": CSRF_HEADER,
            "url_with": lambda **changes: url_with(request, **changes),
            "lang_url": lambda code: _lang_url(request, code),
            "path": request.url.path,
        }


def _lang_url(request: Request, code: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", code))
    return request.url.path + "?" + urlencode(params)
