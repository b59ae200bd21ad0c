"""Shared pieces of the benchmarks: synthetic data cached on disk, child-process runs."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / ".out"


def customers_csv(count: int, seed: int = 2026) -> Path:
    """A CSV of ``count`` synthetic customers, generated once and cached in bench/.out."""
    from privault.vault.fake import write_customers_csv

    OUT.mkdir(exist_ok=True)
    path = OUT / f"customers-{count}-{seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            write_customers_csv(handle, count, seed=seed)
        tmp.rename(path)
        print(
            f"  (generated {count:,} synthetic customers in {time.perf_counter() - started:.1f} s)"
        )
    return path


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_part(script: Path, *args: str) -> dict[str, Any]:
    """Run ``script --part ...`` in a fresh process (its own peak memory) and parse its JSON."""
    result = subprocess.run(
        [sys.executable, str(script), *args], check=True, capture_output=True, text=True
    )
    last: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return last


def ratio_line(name: str, ours: float, floor: float, target: float, unit: str) -> str:
    """One result line: figure, floor, ratio and whether the target holds."""
    ratio = floor / ours if ours else float("inf")
    verdict = "OK" if ratio <= target else "MISSED"
    return (
        f"{name}: privault {ours:,.0f} {unit}, floor {floor:,.0f} {unit}, "
        f"ratio privault/floor (time) = {ratio:.2f} (target <= {target}) {verdict}"
    )
