"""The load generator: wrk (Debian's package, one thread, keep-alive connections) driven by a Lua script
that cycles through the given paths and reports throughput and latency percentiles as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = r"""
local paths = {%(paths)s}
local extra = {%(headers)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], extra)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("BENCH-JSON ")
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"max": %%d, "mean": %%f, "errors": %%d, "non2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    non2xx: int


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(base_url: str, paths: list[str], *, seconds: float, connections: int,
        headers: dict[str, str] | None = None, timeout: float = 10.0) -> LoadResult:
    script = LUA % {"paths": ", ".join(_lua_string(p) for p in paths),
                    "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items())}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
        path = file.name
    try:
        completed = subprocess.run(  # noqa: S603
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",  # noqa: S607 - Debian's wrk
             f"--timeout={timeout:g}s", "-s", path, base_url + paths[0]],
            capture_output=True, text=True, timeout=seconds + timeout + 30, check=False)
    finally:
        Path(path).unlink(missing_ok=True)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {completed.stdout[-500:]} {completed.stderr[-500:]}")
    data = json.loads(line.removeprefix("BENCH-JSON "))
    duration = data["duration_us"] / 1e6
    return LoadResult(requests=data["requests"], seconds=duration, rps=data["requests"] / duration if duration else 0,
                      p50_ms=data["p50"] / 1000, p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000,
                      errors=data["errors"], non2xx=data["non2xx"])
