"""The smoke flow of scripts/compose-smoke.sh: what a visitor and a coordinator do, through the gateway's port only.

Standard library only (it runs on the host, outside any virtual environment). Prints one line per check and
exits 1 if any failed. Usage: python3 scripts/smoke_flow.py BASE_URL REQUEST_ID LOGIN PASSWORD API_KEY
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPResponse
from typing import Any

SEARCH = "ВКТУ"  # in the demo data (the round table at ВКТУ, seed article 000)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Answer:
    def __init__(self, response: HTTPResponse | urllib.error.HTTPError) -> None:
        self.status = response.status if isinstance(response, HTTPResponse) else response.code
        self.headers = response.headers
        self.text = response.read().decode("utf-8", "replace")


def get(url: str, headers: dict[str, str] | None = None, data: dict[str, str] | None = None) -> Answer:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 - our own http URL
    try:
        with OPENER.open(request, timeout=30) as response:
            return Answer(response)
    except urllib.error.HTTPError as error:
        return Answer(error)


def cookies(answer: Answer) -> dict[str, str]:
    """Name → value of the Set-Cookie headers (the session cookie is Secure, so no cookie jar sends it over
    plain HTTP: the flow carries it by hand, as a browser would over HTTPS)."""
    out = {}
    for header in answer.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def main(base: str, request_id: str, login: str, password: str, api_key: str) -> int:
    results: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""), flush=True)

    home = get(base + "/", {"X-Request-ID": request_id, "Accept-Language": "kk"})
    check("home page answers 200 in Kazakh", home.status == 200 and 'lang="kk"' in home.text, f"HTTP {home.status}")
    echoed = home.headers.get("X-Request-ID") or ""
    check("the request id is echoed", echoed == request_id, echoed)
    check("the CSP forbids inline scripts", "script-src 'self'" in (home.headers.get("Content-Security-Policy") or ""))

    found = get(base + "/orgs?" + urllib.parse.urlencode({"q": SEARCH}))
    check(f"registry search for {SEARCH!r} finds it", found.status == 200 and SEARCH in found.text,
          f"HTTP {found.status}")
    fragment = get(base + "/orgs?" + urllib.parse.urlencode({"q": SEARCH}), {"HX-Request": "true"})
    check("search-as-you-type gets a fragment", fragment.status == 200 and "<html" not in fragment.text
          and SEARCH in fragment.text, f"HTTP {fragment.status}")

    search = "/api/v1/organizations?" + urllib.parse.urlencode({"q": SEARCH})
    refused = get(base + search)
    problem = (refused.headers.get("Content-Type") or "").startswith("application/problem+json")
    check("public API refuses a call without a key", refused.status == 401 and problem, f"HTTP {refused.status}")
    api = get(base + search, {"Authorization": f"Bearer {api_key}"})
    items = json.loads(api.text).get("items", []) if api.status == 200 else []
    check("public API lists the organization to a key holder", api.status == 200 and len(items) > 0,
          f"HTTP {api.status}, {len(items)} items")

    sessions = get(base + "/sessions")
    check("sessions page answers 200", sessions.status == 200, f"HTTP {sessions.status}")
    missing = get(base + "/orgs/999999")
    check("an unknown organization is a 404 page, not a 500", missing.status == 404, f"HTTP {missing.status}")

    form = get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    jar = cookies(form)
    check("sign-in form has a CSRF token", form.status == 200 and token is not None, f"HTTP {form.status}")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    wrong = get(base + "/login", {"Cookie": cookie}, {"login": login, "password": password + "-wrong",
                                                       "csrf_token": token[1] if token else "", "next": "/"})
    check("a wrong password is refused", wrong.status == 401, f"HTTP {wrong.status}")
    signed = get(base + "/login", {"Cookie": cookie}, {"login": login, "password": password,
                                                        "csrf_token": token[1] if token else "", "next": "/"})
    jar |= cookies(signed)
    check("sign-in redirects with a session cookie", signed.status == 303 and "ashyq_session" in jar,
          f"HTTP {signed.status}")
    page = get(base + "/", {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    check("the signed-in page names the account", page.status == 200 and "Smoke Admin" in page.text,
          f"HTTP {page.status}")

    failed = [name for name, ok, _ in results if not ok]
    print(f"smoke: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
