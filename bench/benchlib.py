"""Helpers shared by the heavier benchmarks (pipeline.py, ingest_parallel.py): the machine, memory, a
fresh database per run, and where results go. Not part of lens.

Memory is read from /proc/self/status: VmRSS (now) and VmHWM (the high-water mark). Writing "5" to
/proc/self/clear_refs resets VmHWM to the current RSS, so a stage's own peak is exact, not sampled.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import text

if TYPE_CHECKING:
    from lens_core.runs.progress import RunProgress

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_PG_URL = os.environ.get("LENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# ---- the machine ----------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and the load average (other work on a shared machine shows there)."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem_kb / 2**20, 1), "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def machine_line(info: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in info["loadavg_at_start"])
    return (f"machine: {info['cpu']}, {info['usable_cores']} usable cores of {info['cores']}, "
            f"{info['ram_gib']} GiB RAM, Python {info['python']}, load average at start {load}")


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


# ---- memory ---------------------------------------------------------------------------------------------

def _status_mb(key: str) -> float:
    for line in _lines("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def hwm_mb() -> float:
    return _status_mb("VmHWM")


def reset_hwm() -> bool:
    """VmHWM := current RSS (Linux clear_refs 5); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@dataclass
class Meter:
    """Seconds and memory per stage: RSS at the start, the stage's own peak, and the peak over the whole run
    (VmHWM is reset at each stage start, so the overall peak is kept here)."""

    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    peak_mb: float = 0.0
    _open: tuple[str, float, float] | None = None

    def start(self, name: str) -> None:
        self.stop()
        self.peak_mb = max(self.peak_mb, hwm_mb(), ru_maxrss_mb())
        before = rss_mb()
        reset_hwm()
        self._open = (name, time.perf_counter(), before)

    def stop(self) -> None:
        if self._open is None:
            return
        name, started, before = self._open
        peak = hwm_mb()
        self.peak_mb = max(self.peak_mb, peak)
        self.stages[name] = {"seconds": round(time.perf_counter() - started, 3), "rss_start_mb": round(before),
                             "peak_mb": round(peak), "peak_increase_mb": round(peak - before)}
        self._open = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop()

    def progress(self, step: RunProgress) -> None:
        """A lens ProgressCallback: each pipeline stage becomes a measured stage."""
        stage, fraction = step.stage, step.fraction
        current = self._open[0] if self._open else None
        if fraction >= 1.0:
            if current == stage:
                self.stop()
        elif current != stage and stage not in self.stages:
            self.start(stage)


# ---- databases ------------------------------------------------------------------------------------------

@contextmanager
def fresh_database(kind: str, *, pg_url: str = DEFAULT_PG_URL, tag: str = "") -> Iterator[str]:
    """The URL of an empty database, removed afterwards: a temporary SQLite file, or a new PostgreSQL schema
    (bench_<pid><tag>) that the URL selects through search_path."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lens-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    if kind != "postgres":
        raise ValueError(f"unknown database {kind!r}: sqlite or postgres")
    from lens_core.storage.engine import make_engine

    schema = f"bench_{os.getpid()}{tag}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


# ---- output ---------------------------------------------------------------------------------------------

def show(title: str, rows: list[dict[str, Any]] | pd.DataFrame) -> None:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    print(f"\n{title}\n")
    print(frame.to_string(index=False) if not frame.empty else "(nothing)")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
    print(f"\nwrote {path}")
    return path
