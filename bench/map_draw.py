"""Time to draw the Clusters page's map in Chromium: 10k, 50k and 100k points, WebGL beside SVG.

    python bench/map_draw.py [--sizes 10000 50000 100000] [--repeats 3] [--seed 7]
                             [--dashboard] [--out bench/results/map_draw.json]

The figure is the dashboard's own (app/charts.py `cluster_map`, as pages/clusters.py calls it) over
synthetic points shaped like a run's map: 40 patterns of Zipf-like sizes, 15% noise, prompts and errors of
the sample's length in the hover boxes. Each figure is written as a standalone page (plotly.js inline, so
nothing is fetched) and opened from a file:// URL by Playwright driving /usr/bin/chromium headless, with
the browser tests' arguments (--disable-gpu: WebGL runs on SwiftShader, Chromium's software renderer, as on
a machine without a GPU). Per page, in the browser's own clock:

- draw: navigation start to two animation frames after Plotly.newPlot resolved (parsing the ~5 MB of
  plotly.js and the data included: what a user waits for);
- hover: a mouse move onto a point to the frame after its `plotly_hover` (the hover box shown);
- zoom: `Plotly.relayout` to the middle quarter of the map, to the frame after it resolved.

Medians of --repeats fresh pages. The reference is the same figure with every trace drawn as SVG
(`go.Scatter`). --dashboard also times the real dashboard (`streamlit run` on 127.0.0.1, as the browser
tests start it) on a prepared SQLite database of the sample: Run pressed to the map drawn, with an empty
numba cache (cold), again in a new server with that cache filled (warm), and a re-run in the same session.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.charts import cluster_map  # noqa: E402 - the figure the Clusters page draws
from bench.benchlib import RESULTS, machine, machine_line, show, write_json  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: E402

PATTERNS, NOISE_SHARE = 40, 0.15
PROMPTS = ["Schedule a sync with Dana #{n} tomorrow at 10", "What did we decide about the Q3 roadmap? ({n})",
           "Send the weekly report to the finance team #{n}", "Book a room for 6 people on Friday ({n})"]
ERRORS = ["InvalidAuthenticationToken: Access token has expired. (request {n})",
          "HTTP 429 Too Many Requests: retry after 30 s (tenant t-{n})",
          "ErrorItemNotFound: The specified object was not found in the store. ({n})",
          "Timeout after 30000 ms calling plugin Teams.search_messages ({n})"]
# Run in the page once Plotly.newPlot has resolved (plotly.py puts post_script in its .then()).
PAGE_SCRIPT = """
const gd = document.getElementById('map');
requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawn = performance.now(); }));
document.addEventListener('mousemove', () => { window.__moved = performance.now(); }, true);
gd.on('plotly_hover', () => requestAnimationFrame(() => { window.__hovered = performance.now(); }));
"""
POINT_AT = """(i) => {
  const gd = document.getElementById('map'), box = gd.getBoundingClientRect();
  const trace = gd._fullData[i], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const k = Math.floor(trace.x.length / 2);
  return [box.left + xa._offset + xa.l2p(trace.x[k]), box.top + ya._offset + ya.l2p(trace.y[k])];
}"""
ZOOM = """async () => {
  const gd = document.getElementById('map'), xr = gd._fullLayout.xaxis.range, yr = gd._fullLayout.yaxis.range;
  const mid = (r) => [r[0] + (r[1] - r[0]) / 4, r[1] - (r[1] - r[0]) / 4];
  const started = performance.now();
  await Plotly.relayout(gd, {'xaxis.range': mid(xr), 'yaxis.range': mid(yr)});
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


def points(n: int, seed: int) -> tuple[pd.DataFrame, dict[int, str]]:
    """n map points: PATTERNS groups around their centres (sizes falling as 1/rank) and NOISE_SHARE spread
    over the map, with the columns cluster_map reads."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 15, size=(PATTERNS, 2))
    weights = 1 / np.arange(1, PATTERNS + 1)
    labels = rng.choice(PATTERNS, size=n, p=weights / weights.sum())
    labels[rng.random(n) < NOISE_SHARE] = -1
    xy = centres[np.maximum(labels, 0)] + rng.normal(0, 0.6, size=(n, 2))
    noise = labels == -1
    xy[noise] = rng.uniform(-12, 17, size=(noise.sum(), 2))
    frame = pd.DataFrame({
        "evaluation_id": [f"eval-{i:08x}" for i in range(n)], "cluster_id": labels,
        "map_x": xy[:, 0], "map_y": xy[:, 1],
        "customer_prompt": [PROMPTS[i % len(PROMPTS)].format(n=i) for i in range(n)],
        "error_message": [ERRORS[label % len(ERRORS)].format(n=i) for i, label in enumerate(labels)],
    })
    names = {p: f"{ERRORS[p % len(ERRORS)].split(':')[0]} in plugin {p}" for p in range(PATTERNS)}
    return frame, names


def pages(n: int, seed: int, folder: Path) -> dict[str, Path]:
    """The map as the dashboard draws it (WebGL) and as SVG, each a standalone HTML file."""
    import plotly.graph_objects as go

    frame, names = points(n, seed)
    figure = cluster_map(frame, names)
    as_svg = figure.to_dict()
    for trace in as_svg["data"]:
        trace["type"] = "scatter"
    paths = {}
    for renderer, fig in (("webgl", figure), ("svg", go.Figure(as_svg))):
        path = folder / f"map-{n}-{renderer}.html"
        fig.write_html(path, include_plotlyjs=True, full_html=True, div_id="map", post_script=PAGE_SCRIPT)
        paths[renderer] = path
    return paths


def time_page(browser: Any, path: Path) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(path.as_uri(), wait_until="load", timeout=300_000)
        page.wait_for_function("() => window.__drawn", timeout=300_000, polling=50)
        if page.get_by_text("WebGL is not supported").count():
            raise SystemExit("Chromium drew no WebGL here: the figures would not be comparable")
        drawn = page.evaluate("() => window.__drawn")
        traces = page.evaluate("() => document.getElementById('map')._fullData.length")
        x, y = page.evaluate(POINT_AT, min(1, traces - 1))  # a point of the largest pattern
        page.mouse.move(5, 5)
        page.evaluate("() => { window.__hovered = null; }")
        page.mouse.move(x, y)
        page.wait_for_function("() => window.__hovered", timeout=120_000, polling=20)
        hover = page.evaluate("() => window.__hovered - window.__moved")
        page.mouse.move(5, 5)
        zoom = page.evaluate(ZOOM)
        return {"draw_ms": drawn, "hover_ms": hover, "zoom_ms": zoom}
    finally:
        page.close()


def standalone(sizes: list[int], repeats: int, seed: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="lens-map-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for n in sizes:
                row: dict[str, Any] = {"points": n}
                for renderer, path in pages(n, seed, Path(tmp)).items():
                    runs = [time_page(browser, path) for _ in range(repeats)]
                    for key in ("draw_ms", "hover_ms", "zoom_ms"):
                        row[f"{renderer}_{key}"] = round(statistics.median(run[key] for run in runs))
                    row[f"{renderer}_page_MB"] = round(path.stat().st_size / 1e6, 1)
                print(row, flush=True)
                rows.append(row)
        finally:
            browser.close()
    return rows


# -- the real dashboard ------------------------------------------------------------------------------------

def sample_database(path: Path) -> str:
    """A SQLite database holding the sample, as the Upload page's "Load sample data" stores it."""
    from app.actions import SAMPLE_EVENTS, SAMPLE_SEED
    from lens_core.ingest.ingestor import ingest_records
    from lens_core.samples.generator import generate
    from lens_core.storage.engine import open_engine

    url = f"sqlite:///{path}"
    engine = open_engine(url)
    try:
        events, _ = generate(SAMPLE_EVENTS, seed=SAMPLE_SEED)
        ingest_records(events, engine=engine, source="sample")
    finally:
        engine.dispose()
    return url


def run_to_map(browser: Any, url: str, runs: int) -> list[float]:
    """Seconds from Run pressed on the Clusters page to the map drawn, `runs` times in one session."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url)
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Clusters", exact=True).click()
        page.get_by_role("heading", name="Clusters", exact=True).wait_for(timeout=120_000)
        seconds = []
        for number in range(1, runs + 1):
            page.wait_for_timeout(500)
            started = time.perf_counter()
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text(re.compile(rf"^Run {number}: \d+ clusters")).wait_for(timeout=600_000)
            page.locator(".js-plotly-plot canvas, .js-plotly-plot .scatterlayer").first.wait_for(timeout=120_000)
            seconds.append(round(time.perf_counter() - started, 1))
        return seconds
    finally:
        page.close()


def dashboard(folder: Path) -> list[dict[str, Any]]:
    """Two servers on one prepared database each: the first with an empty numba cache, the second with
    the cache the first filled; a second Run in each session is the re-run."""
    from playwright.sync_api import sync_playwright

    from app.actions import SAMPLE_EVENTS
    from lens_core.config import Settings

    cache = folder / "numba-cache"
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for cache_state in ("cold", "warm"):
                url = sample_database(folder / f"sample-{cache_state}.db")
                env = {**os.environ, "DATABASE_URL": url, "OPENAI_API_KEY": "", "NUMBA_CACHE_DIR": str(cache),
                       "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
                port = free_port()
                log = folder / f"streamlit-{cache_state}.log"
                command = [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.port", str(port),
                           "--server.address", "127.0.0.1", "--server.headless", "true"]
                with log.open("w") as out:
                    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
                try:
                    wait_healthy(f"http://127.0.0.1:{port}", server, log)
                    first, again = run_to_map(browser, f"http://127.0.0.1:{port}", runs=2)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                rows.append({"numba_cache": cache_state, "events": SAMPLE_EVENTS, "first_run_s": first,
                             "rerun_s": again, "embedder": Settings().embedding_backend})
                print(rows[-1], flush=True)
        finally:
            browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 100_000],
                        help="points per map (none: only --dashboard)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dashboard", action="store_true", help="also time Run-to-map in the real dashboard")
    parser.add_argument("--out", type=Path, default=RESULTS / "map_draw.json")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is absent: apt-get install chromium")
    info = machine()
    result: dict[str, Any] = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}}
    rows = result["rows"] = standalone(args.sizes, args.repeats, args.seed)
    write_json(args.out, result)  # kept should the dashboard's part fail
    runs = []
    if args.dashboard:
        with tempfile.TemporaryDirectory(prefix="lens-dashboard-") as tmp:
            runs = result["dashboard"] = dashboard(Path(tmp))
        write_json(args.out, result)
    print(machine_line(info))
    if rows:
        show(f"map drawn in headless Chromium (SwiftShader WebGL), median of {args.repeats} pages, ms", rows)
    if runs:
        show("dashboard: Run pressed to map drawn (the sample), s", runs)


if __name__ == "__main__":
    main()
