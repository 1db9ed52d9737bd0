"""The services as real processes: the `ashyq` commands compose runs, their own process groups and log files."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# Settings the machine's environment may carry that must not leak into the services under test.
SETTING_PREFIXES = ("ORGS_", "DIALOGUE_", "GATEWAY_", "ASHYQ_")


def ashyq() -> str:
    """The `ashyq` console script of the virtual environment running the tests (.venv/bin/ashyq)."""
    beside = Path(sys.executable).with_name("ashyq")
    if beside.exists():
        return str(beside)
    found = shutil.which("ashyq")
    if found is None:
        raise RuntimeError("the ashyq command is not installed: pip install -e '.[dev]'")
    return found


def alembic() -> str:
    beside = Path(sys.executable).with_name("alembic")
    return str(beside) if beside.exists() else "alembic"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environment(settings: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_command(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 120,
                stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """A one-shot command (migrate, backup, restore, create-admin) with the services' environment."""
    return subprocess.run(list(args), env=clean_environment(env), cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, input=stdin)


class ServiceProcess:
    """`ashyq serve <name>` in its own process group, stdout and stderr appended to one log file."""

    def __init__(self, name: str, port: int | None, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = port
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        command = [ashyq(), "serve", self.name]
        if self.port is not None:
            command += ["--port", str(self.port)]
        return command

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {' '.join(self.command())} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), env=clean_environment(self.env), cwd=REPO_ROOT,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 60) -> None:
        """Until /readyz answers 200; fails early if the process dies."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited with {self.process and self.process.returncode} while "
                                   f"starting:\n{self.log_tail()}")
            try:
                response = httpx.get(self.url + "/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s (last: {last}):\n{self.log_tail()}")

    def signal_group(self, signum: int) -> None:
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as an OOM killer or a pulled plug would; reaps it."""
        if self.process is None:
            return
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (graceful), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
