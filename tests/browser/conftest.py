"""Browser tests: the three services as real processes, started with the same `ashyq` commands that compose and
`ashyq up` use, on the test backend (SQLite and PostgreSQL), with the demo data; Debian's Chromium driven by
Playwright (never a downloaded browser).

The browser and the processes live as long as this package's tests (package scope): Playwright's sync API keeps
an event loop running in the main thread, which the asynchronous tests of the other packages need for their own.

Screenshots land in build/screenshots/<backend>/ (or $ASHYQ_SCREENSHOTS), to be looked at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ASHYQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync", "--disable-dev-shm-usage"]
SERVICES = ("orgs", "dialogue", "gateway")
DEMO_ACCOUNT = re.compile(r"^\s*(admin|coordinator|representative|member)\s+(\S+)\s+(\S+)", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The running system: where each service listens, its log file, and the demo accounts `ashyq demo` printed."""

    urls: dict[str, str]
    logs: dict[str, Path]
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for name, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)


def _ashyq(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"ashyq {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _wait_ready(url: str, process: subprocess.Popen[bytes], stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} while starting\n{stack.log_tail()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {timeout:.0f} s\n{stack.log_tail()}")


@pytest.fixture(scope="package")
def stack(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("stack")
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "ASHYQ_DATA_DIR": str(folder),
        "ORGS_DATABASE_URL": databases.new("browser_orgs"),
        "DIALOGUE_DATABASE_URL": databases.new("browser_dialogue"),
        "DIALOGUE_ORGS_URL": urls["orgs"],
        "GATEWAY_ORGS_URL": urls["orgs"],
        "GATEWAY_DIALOGUE_URL": urls["dialogue"],
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(urls=urls, logs={name: folder / f"{name}.log" for name in SERVICES})
    _ashyq("migrate", "all", env=env)
    printed = _ashyq("demo", env=env)
    stack.accounts = {role: (login, password) for role, login, password in DEMO_ACCOUNT.findall(printed)}
    try:
        for name in SERVICES:
            with stack.logs[name].open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "services.cli", "serve", name, "--port", str(ports[name])],
                    env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            stack.processes.append(process)
            _wait_ready(urls[name], process, stack)
        yield stack
    finally:
        for process in stack.processes:
            if process.poll() is None:
                process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser: Browser, stack: Stack) -> Iterator[Any]:
    """Opens browser contexts (each one a separate visitor with its own cookies); all closed after the test."""
    contexts: list[BrowserContext] = []

    def open_context(locale: str = "ru-RU") -> BrowserContext:
        context = browser.new_context(base_url=stack.gateway, locale=locale, viewport={"width": 1366, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots(backend: str) -> Path:
    folder = Path(os.environ.get("ASHYQ_SCREENSHOTS", REPO / "build" / "screenshots")) / backend
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Page, login: str, password: str) -> None:
    """Signs in through the login form, as a person would."""
    page.goto("/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)  # signed in: sent on to the page it came from
