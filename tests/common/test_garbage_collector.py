"""A started server settles the cyclic garbage collector (start-up objects frozen, fewer young collections);
tests, whose process starts hundreds of apps, leave it alone. Run in a child process: freezing is for good."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json, sys
from services.common.app import settle_garbage_collector
before = (gc.get_threshold(), gc.get_freeze_count())
settle_garbage_collector(sys.argv[1])
print(json.dumps({"before": before, "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def settle(environment: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, environment], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_server_freezes_what_start_up_built() -> None:
    result = settle("production")
    assert result["threshold"] == [10_000, 10, 10]
    assert isinstance(result["frozen"], int) and result["frozen"] > 10_000  # FastAPI, SQLAlchemy, Pydantic, ...


def test_tests_keep_the_default_collector() -> None:
    result = settle("test")
    assert result["before"] == [list(result["threshold"]), result["frozen"]]  # type: ignore[arg-type]
    assert result["frozen"] == 0
