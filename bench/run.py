"""The national-scale baseline: every figure of issue 7, measured side by side in one run.

For each backend: the 1,000- and the 1,000,000-recommendation data sets each get their own orgs, dialogue
and gateway processes (started together), next to one bare FastAPI process. Each round measures the bare
endpoint, then every target on the small and on the full stack in turn, so the machine's noise falls on all
of them alike; ratios are taken within a round and the median over rounds is reported. Then search as you
type on the full data, SQL statements and upstream calls per request (in process), the CSV import, and the
memory each server held.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import datasets, inprocess, load, stack
from bench.generate import SCALES, Scale

OUT = stack.REPO / "artifacts" / "bench"
TARGETS_PAGE, TARGETS_API = 0.15, 0.30
P95_GROWTH, SEARCH_P95_MS, IMPORT_SECONDS, RSS_MB = 1.3, 30.0, 10.0, 150.0
SEARCH_PREFIXES = {
    "ru": ["о", "об", "общ", "обще", "у", "уп", "упр", "упра", "з", "зе", "зел", "зелё"],
    "kk": ["қ", "қо", "қоғ", "қоға", "ж", "жа", "жас", "жасы", "ә", "әк", "әкі", "әкім"],
}


@dataclass(frozen=True)
class Target:
    label: str
    group: str  # page | api
    service: str
    path: str  # {session} is replaced with a session of the data set that has recommendations
    headers: dict[str, str] = field(default_factory=dict)

    def url_path(self, scale: Scale) -> str:
        return self.path.replace("{session}", str(session_with_recommendations(scale)))


def session_with_recommendations(scale: Scale) -> int:
    """A concluded session halfway through the five years: about 20 recommendations at every scale."""
    return scale.sessions // 2 + 1


API_HEADERS = {"Authorization": f"Bearer {datasets.API_KEY}"}
TARGETS = [
    Target("orgs GET /v1/orgs", "api", "orgs", "/v1/orgs"),
    Target("dialogue GET /v1/recommendations (overdue first)", "api", "dialogue", "/v1/recommendations"),
    Target("gateway GET /api/v1/recommendations", "api", "gateway", "/api/v1/recommendations", API_HEADERS),
    Target("page / (home)", "page", "gateway", "/"),
    Target("page /orgs?q=жасыл (registry search)", "page", "gateway", "/orgs?q=%D0%B6%D0%B0%D1%81%D1%8B%D0%BB"),
    Target("page /recommendations", "page", "gateway", "/recommendations"),
    Target("page /sessions/{id}", "page", "gateway", "/sessions/{session}"),
]
# The gateway's requests once more with its shared public copies off: every request goes the whole way.
TARGETS += [Target(f"{t.label} [no shared copy]", t.group, "gateway-direct", t.path, t.headers)
            for t in TARGETS if t.service == "gateway"]


@dataclass
class Settings:
    rounds: int = 3
    seconds: float = 8.0  # each throughput run
    latency_seconds: float = 5.0  # each single-connection latency run
    connections: int = 8
    search_seconds: float = 12.0
    import_rows: int = 20_000
    skip_import: bool = False
    reuse: bool = True
    small: str = "small"  # the scales compared (a smoke test of the benchmark itself: tiny and small)
    full: str = "full"


def _offset(ports: dict[str, int], by: int) -> dict[str, int]:
    return {name: port + by for name, port in ports.items()}


class TwoStacks:
    """The small and the full stack side by side plus one bare server: ports 181xx and 182xx for SQLite,
    183xx and 184xx for PostgreSQL (so both backends can be measured at once)."""

    def __init__(self, small: datasets.Dataset, full: datasets.Dataset, log_dir: Path) -> None:
        self.small, self.full, self.log_dir = small, full, log_dir

    def __enter__(self) -> TwoStacks:
        import contextlib

        self.exit = contextlib.ExitStack()
        base = 0 if self.small.backend == "sqlite" else 200
        self.stacks = {
            "small": self.exit.enter_context(stack.running(self.small.orgs_url, self.small.dialogue_url,
                                                           self.log_dir / "small", ports=_offset(stack.PORTS, base),
                                                           bare=True)),
            "full": self.exit.enter_context(stack.running(self.full.orgs_url, self.full.dialogue_url,
                                                          self.log_dir / "full", ports=_offset(stack.PORTS, base + 100),
                                                          bare=False)),
        }
        return self

    def __exit__(self, *exc: Any) -> None:
        self.exit.close()


def _probe(base: str, path: str, headers: dict[str, str]) -> int:
    import httpx

    try:
        return httpx.get(base + path, headers=headers, timeout=120).status_code
    except httpx.HTTPError:
        return 0


def measure_backend(backend: str, settings: Settings, log: Any = print) -> dict[str, Any]:
    scales = {"small": SCALES[settings.small], "full": SCALES[settings.full]}
    small = datasets.ensure(backend, scales["small"], reuse=settings.reuse, log=log)
    full = datasets.ensure(backend, scales["full"], reuse=settings.reuse, log=log)
    result: dict[str, Any] = {"backend": backend, "counts": {"small": small.counts, "full": full.counts},
                              "generation_seconds": {k: datasets.generation_seconds(backend, s)
                                                     for k, s in scales.items()}}
    with TwoStacks(small, full, OUT / "logs" / backend) as two:
        bases = {name: {svc: stack.url(svc, st.ports) for svc in st.ports} for name, st in two.stacks.items()}
        bare_base = bases["small"]["bare"]
        targets = []
        for target in TARGETS:  # warm up (caches, connection pools) and drop what this build lacks
            codes = {name: _probe(bases[name][target.service], target.url_path(scales[name]), target.headers)
                     for name in ("small", "full") for _ in range(2)}
            if all(code == 200 for code in codes.values()):
                targets.append(target)
            else:
                log(f"  skipped {target.label}: answered {codes}")
        result["targets"] = [asdict(t) for t in targets]
        throughput: dict[str, list[dict[str, Any]]] = {}
        latency: dict[str, list[dict[str, Any]]] = {}
        with two.stacks["full"].sampling(), two.stacks["small"].sampling():
            for round_no in range(settings.rounds):
                log(f"  round {round_no + 1}/{settings.rounds}")
                bare = load.run(bare_base, ["/bare"], seconds=settings.seconds, connections=settings.connections)
                throughput.setdefault("bare", []).append(asdict(bare))
                bare_latency = load.run(bare_base, ["/bare"], seconds=settings.latency_seconds, connections=1)
                latency.setdefault("bare", []).append(asdict(bare_latency))
                for target in targets:
                    for name in ("small", "full"):
                        base, path = bases[name][target.service], target.url_path(scales[name])
                        run = load.run(base, [path], seconds=settings.seconds, connections=settings.connections,
                                       headers=target.headers)
                        entry = asdict(run) | {"ratio": run.rps / bare.rps if bare.rps else 0.0}
                        throughput.setdefault(f"{name}|{target.label}", []).append(entry)
                        one = load.run(base, [path], seconds=settings.latency_seconds, connections=1,
                                       headers=target.headers)
                        latency.setdefault(f"{name}|{target.label}", []).append(asdict(one))
            log("  search as you type")
            result["search"] = measure_search(bases["full"], settings)
        result["throughput"], result["latency"] = throughput, latency
        result["rss"] = {name: {"idle": st.idle_rss, "peak": st.peak_rss} for name, st in two.stacks.items()}
    log("  statements and upstream calls per request")
    result["statements"] = asyncio.run(count_statements(full))
    if not settings.skip_import:
        log(f"  CSV import of {settings.import_rows} organizations")
        from bench import orgs_import

        figures = orgs_import.run(backend, settings.import_rows, 1)
        result["import"] = {k: v[0] for k, v in figures.items()}
    return result


def measure_search(bases: dict[str, str], settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for language, prefixes in SEARCH_PREFIXES.items():
        paths = [f"/v1/orgs?q={_quote(p)}&limit=25" for p in prefixes]
        run = load.run(bases["orgs"], paths, seconds=settings.search_seconds / 2, connections=1)
        out[f"orgs API, {language}"] = asdict(run)
        fragments = [f"/orgs?q={_quote(p)}" for p in prefixes]
        run = load.run(bases["gateway"], fragments, seconds=settings.search_seconds / 2, connections=1,
                       headers={"HX-Request": "true"})
        out[f"gateway fragment, {language}"] = asdict(run)
    by_length: dict[str, Any] = {}
    for length in (1, 2, 3, 4):
        paths = [f"/v1/orgs?q={_quote(p)}&limit=25" for ps in SEARCH_PREFIXES.values() for p in ps if len(p) == length]
        by_length[str(length)] = asdict(load.run(bases["orgs"], paths, seconds=settings.search_seconds / 4,
                                                 connections=1))
    out["by_length"] = by_length
    return out


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value)


# --- statements and upstream calls per request (in process) ---------------------------------------

PAGE_SIZES = (10, 50, 200)


def statement_paths(scale: Scale) -> list[tuple[str, str, str]]:
    """(client, label, path with {n} for the page size)."""
    session = session_with_recommendations(scale)
    return [
        ("orgs", "GET /v1/orgs", "/v1/orgs?limit={n}"),
        ("orgs", "GET /v1/orgs?q=жас", "/v1/orgs?q=%D0%B6%D0%B0%D1%81&limit={n}"),
        ("orgs", "GET /v1/people", "/v1/people?limit={n}"),
        ("dialogue", "GET /v1/recommendations (overdue first)", "/v1/recommendations?limit={n}"),
        ("dialogue", "GET /v1/recommendations?order=recent", "/v1/recommendations?order=recent&limit={n}"),
        ("dialogue", "GET /v1/sessions", "/v1/sessions?limit={n}"),
        ("gateway", "GET /api/v1/recommendations", "/api/v1/recommendations?limit={n}"),
        ("gateway", "GET /api/v1/organizations", "/api/v1/organizations?limit={n}"),
        ("gateway", "page /recommendations", "/recommendations"),
        ("gateway", "page /orgs", "/orgs"),
        ("gateway", "page /sessions", "/sessions"),
        ("gateway", "page / (home)", "/"),
        ("gateway", f"page /sessions/{session}", f"/sessions/{session}"),
    ]


def page_size(size: int) -> Any:
    """The gateway's list pages show PAGE_SIZE rows; set it for one measurement."""
    import contextlib

    from services.gateway.pages import portal, registry

    @contextlib.contextmanager
    def patched() -> Any:
        saved = portal.PAGE_SIZE, registry.PAGE_SIZE
        portal.PAGE_SIZE = registry.PAGE_SIZE = size
        try:
            yield
        finally:
            portal.PAGE_SIZE, registry.PAGE_SIZE = saved

    return patched()


async def count_statements(dataset: datasets.Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with inprocess.services(dataset.orgs_url, dataset.dialogue_url) as s:
        for client_name, label, path in statement_paths(dataset.scale):
            client = getattr(s, client_name)
            headers = API_HEADERS if path.startswith("/api/") else None
            row: dict[str, Any] = {}
            for size in PAGE_SIZES:
                with page_size(size):
                    status, statements, upstream = await inprocess.measure(client, s.counters,
                                                                           path.replace("{n}", str(size)), headers)
                row[str(size)] = {"status": status, "statements": dict(statements), "upstream": dict(upstream)}
            out[label] = row
    return out


# --- report -------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    def first(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(int(memory) / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": first(["psql", "-h", "127.0.0.1", "-U", "postgres",
                                                                       "-tAc", "SHOW server_version"]),
            "sqlite": __import__("sqlite3").sqlite_version, "wrk": first(["wrk", "--version"]).split("\n")[0],
            "load_average": os.getloadavg()}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _ok(good: bool) -> str:
    return "✅" if good else "❌"


def markdown(result: dict[str, Any]) -> str:
    backend = result["backend"]
    lines = [f"### {backend}", ""]
    tp, lat = result["throughput"], result["latency"]
    bare_rps = _median([r["rps"] for r in tp["bare"]])
    bare_p95 = _median([r["p95_ms"] for r in lat["bare"]])
    lines += [f"Bare FastAPI endpoint: {bare_rps:,.0f} requests/s with {result['settings']['connections']} "
              f"connections; p95 {bare_p95:.1f} ms on one connection.", "",
              "| request | group | req/s (1M) | share of bare | target | p50 / p95 / p99 ms, 1 conn, 1M | "
              "p95 ms 1k → 1M | growth | target |",
              "|---|---|---|---|---|---|---|---|---|"]
    for t in result["targets"]:
        label = t["label"]
        full_tp, full_lat, small_lat = tp[f"full|{label}"], lat[f"full|{label}"], lat[f"small|{label}"]
        ratio = _median([r["ratio"] for r in full_tp])
        goal = TARGETS_PAGE if t["group"] == "page" else TARGETS_API
        p95_small, p95_full = _median([r["p95_ms"] for r in small_lat]), _median([r["p95_ms"] for r in full_lat])
        growth = p95_full / p95_small if p95_small else 0.0
        errors = sum(r["errors"] + r["non2xx"] for r in full_tp + full_lat)
        lines.append(
            f"| {label}{f' (errors: {errors})' if errors else ''} | {t['group']} | "
            f"{_median([r['rps'] for r in full_tp]):,.0f} | {ratio:.1%} | ≥ {goal:.0%} {_ok(ratio >= goal)} | "
            f"{_median([r['p50_ms'] for r in full_lat]):.1f} / {p95_full:.1f} / "
            f"{_median([r['p99_ms'] for r in full_lat]):.1f} | {p95_small:.1f} → {p95_full:.1f} | {growth:.2f}× | "
            f"≤ {P95_GROWTH}× {_ok(growth <= P95_GROWTH)} |")
    lines += ["", "Search as you type at full scale (one connection, prefixes of 1–4 letters cycled):", "",
              "| where | p50 ms | p95 ms | p99 ms | target |", "|---|---|---|---|---|"]
    for key, run in result["search"].items():
        if key == "by_length":
            continue
        goal = _ok(run["p95_ms"] < SEARCH_P95_MS) if key.startswith("orgs") else ""
        lines.append(f"| {key} | {run['p50_ms']:.1f} | {run['p95_ms']:.1f} | {run['p99_ms']:.1f} | "
                     f"{'< 30 ms ' + goal if goal else '—'} |")
    for length, run in result["search"]["by_length"].items():
        lines.append(f"| orgs API, {length}-letter prefixes | {run['p50_ms']:.1f} | {run['p95_ms']:.1f} | "
                     f"{run['p99_ms']:.1f} | < 30 ms {_ok(run['p95_ms'] < SEARCH_P95_MS)} |")
    lines += ["", "SQL statements (per service) and upstream calls per request, full data, page sizes 10 / 50 / 200:",
              "", "| request | statements | upstream calls | constant |", "|---|---|---|---|"]
    for label, sizes in result["statements"].items():
        statements = [_fmt_counter(v["statements"]) for v in sizes.values()]
        upstream = [_fmt_counter(v["upstream"]) for v in sizes.values()]
        codes = {v["status"] for v in sizes.values()}
        constant = len(set(statements)) == 1 and len(set(upstream)) == 1
        lines.append(f"| {label}{'' if codes == {200} else f' (HTTP {sorted(codes)})'} | {' / '.join(statements)} | "
                     f"{' / '.join(upstream)} | {_ok(constant)} |")
    if "import" in result:
        imp = result["import"]
        lines += ["", "CSV import of 20,000 organizations (seconds): "
                  f"dry run {imp['dry run']:.2f}, commit {imp['commit']:.2f} (target < 10 s "
                  f"{_ok(imp['commit'] < IMPORT_SECONDS)}), CSV export {imp['export csv']:.2f}, "
                  f"XLSX export {imp['export xlsx']:.2f}."]
    lines += ["", "Resident memory (MiB), full data: idle after start → peak under load:", "",
              "| service | idle | under load | target |", "|---|---|---|---|"]
    rss = result["rss"]["full"]
    for name in ("orgs", "dialogue", "gateway"):
        peak = rss["peak"].get(name, 0.0)
        lines.append(f"| {name} | {rss['idle'].get(name, 0.0):.0f} | {peak:.0f} | < 150 {_ok(peak < RSS_MB)} |")
    lines.append(f"| bare FastAPI | {result['rss']['small']['idle'].get('bare', 0.0):.0f} | "
                 f"{result['rss']['small']['peak'].get('bare', 0.0):.0f} | — |")
    return "\n".join(lines) + "\n"


def _fmt_counter(counter: dict[str, int]) -> str:
    return " + ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "0"


def main(backends: list[str], settings: Settings) -> list[dict[str, Any]]:
    if not load.wrk_available():
        raise SystemExit("wrk is needed (Debian: apt-get install -y wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for backend in backends:
        started = time.perf_counter()
        print(f"== {backend}")
        result = measure_backend(backend, settings)
        result["settings"] = asdict(settings)
        result["machine"] = machine()
        result["seconds"] = round(time.perf_counter() - started)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (OUT / f"{backend}-{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        text = markdown(result)
        (OUT / f"{backend}-{stamp}.md").write_text(text)
        print(text)
        results.append(result)
    return results
