"""Real uvicorn processes (one worker each) for orgs, dialogue, the gateway and the bare endpoint, plus RSS.

Every server runs with the same settings: `python -m uvicorn <app> --workers 1 --no-access-log
--log-level warning` (uvloop and httptools, as `uvicorn[standard]` installs them).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.inprocess import SECRET, SESSION_SECRET

REPO = Path(__file__).resolve().parents[1]
# `gateway-direct` is the same gateway with its shared public copies off (GATEWAY_PUBLIC_COPY_SECONDS=0): what
# each request costs when it goes the whole way to the services, as for a signed-in visitor.
PORTS = {"orgs": 18101, "dialogue": 18102, "gateway": 18100, "gateway-direct": 18108, "bare": 18109}
APPS = {"orgs": "services.orgs.app:app", "dialogue": "services.dialogue.app:app",
        "gateway": "services.gateway.app:app", "gateway-direct": "services.gateway.app:app", "bare": "bench.bare:app"}
READY = {"orgs": "/readyz", "dialogue": "/readyz", "gateway": "/livez", "gateway-direct": "/livez", "bare": "/bare"}
OWN_ENVIRONMENT = {"gateway-direct": {"GATEWAY_PUBLIC_COPY_SECONDS": "0"}}


def url(name: str, ports: dict[str, int] | None = None) -> str:
    return f"http://127.0.0.1:{(ports or PORTS)[name]}"


def rss_mb(pid: int) -> float:
    """Resident set size of one process, from /proc (MiB)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Stack:
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    idle_rss: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    _sampling: threading.Event | None = None

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    @contextlib.contextmanager
    def sampling(self, every: float = 0.2) -> Iterator[None]:
        """Track the peak RSS of every server while the block runs (under load)."""
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                for name, process in self.processes.items():
                    with contextlib.suppress(OSError):
                        self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss_mb(process.pid))
                stop.wait(every)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _environment(orgs_db: str, dialogue_db: str, ports: dict[str, int]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": str(REPO),
        "ORGS_DATABASE_URL": orgs_db, "ORGS_SERVICE_SECRET": SECRET,
        "DIALOGUE_DATABASE_URL": dialogue_db, "DIALOGUE_SERVICE_SECRET": SECRET,
        "DIALOGUE_ORGS_URL": url("orgs", ports), "GATEWAY_ORGS_URL": url("orgs", ports),
        "GATEWAY_DIALOGUE_URL": url("dialogue", ports), "GATEWAY_SERVICE_SECRET": SECRET,
        "GATEWAY_SESSION_SECRET": SESSION_SECRET,
    })
    return env


def _wait(name: str, process: subprocess.Popen[bytes], ports: dict[str, int], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url(name, ports) + READY[name], timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not answer {READY[name]} within {timeout} s")


@contextlib.contextmanager
def running(orgs_db: str, dialogue_db: str, log_dir: Path, *, ports: dict[str, int] | None = None,
            bare: bool = True) -> Iterator[Stack]:
    """Start the servers, wait until each answers, yield; stop them (by their own pids) at the end."""
    ports = ports or PORTS
    env = _environment(orgs_db, dialogue_db, ports)
    stack = Stack(ports={name: port for name, port in ports.items() if bare or name != "bare"})
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in stack.ports:
            log = (log_dir / f"{name}.log").open("ab")
            stack.processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "uvicorn", APPS[name], "--host", "127.0.0.1", "--port", str(ports[name]),
                 "--workers", "1", "--no-access-log", "--log-level", "warning"],
                cwd=REPO, env=env | OWN_ENVIRONMENT.get(name, {}), stdout=log, stderr=subprocess.STDOUT)
            _wait(name, stack.processes[name], ports)
        time.sleep(1.0)
        stack.idle_rss = {name: rss_mb(p.pid) for name, p in stack.processes.items()}
        yield stack
    finally:
        for process in stack.processes.values():
            process.terminate()
        for process in stack.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
