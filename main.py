"""The original design's command: `python main.py --sample` generates sample telemetry, ingests it,
processes it and prints the top clusters. `--openai` also writes LLM summaries of the top clusters
(GPT-4 or any OpenAI-compatible server at OPENAI_BASE_URL); without OPENAI_API_KEY one line says how to
configure it and the offline summaries are shown. Every other task is in the `lens` command.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="generate, ingest and process sample telemetry")
    parser.add_argument("--openai", action="store_true", help="LLM summaries of the top clusters (OPENAI_API_KEY)")
    parser.add_argument("--n", type=int, default=3000, help="number of sample events (default 3000)")
    parser.add_argument("--seed", type=int, default=7, help="sample seed (default 7)")
    parser.add_argument("--limit", type=int, default=10, help="clusters to print (default 10)")
    return parser


def run(args: argparse.Namespace) -> None:
    from lens_core.cli import print_clusters, progress_printer
    from lens_core.config import configure_logging, get_settings
    from lens_core.ingest.ingestor import ingest_records
    from lens_core.runs.options import ProcessOptions
    from lens_core.runs.pipeline import process
    from lens_core.samples.generator import generate
    from lens_core.storage.engine import open_engine

    settings = get_settings()
    configure_logging(settings)
    engine = open_engine(settings.database_url)
    events, _truth = generate(args.n, seed=args.seed)
    report = ingest_records(events, engine=engine, source="sample", max_chars=settings.max_field_chars)
    print(report.summary_line())
    options = ProcessOptions.of(settings)
    outcome = process(engine=engine, settings=settings, options=options, progress=progress_printer())
    print(f"run {outcome.run_id}: {outcome.n_clusters} clusters, noise {outcome.noise_share:.1%}; stage seconds: "
          + ", ".join(f"{k} {v:.2f}" for k, v in outcome.timings.items()))
    if args.openai:
        llm_summaries(engine, settings, outcome.run_id, args.limit)
    print_clusters(engine, outcome.run_id, args.limit)


def llm_summaries(engine: object, settings: object, run_id: int, limit: int) -> None:
    """LLM summaries for the top clusters; without a key, say how to configure it and keep the offline ones."""
    from lens_core.describe.llm_summaries import build_client, summarize_run
    from lens_core.errors import ConfigError

    try:
        client = build_client(settings)
    except ConfigError as exc:
        print(f"lens: {exc}", file=sys.stderr)
        return
    report = summarize_run(engine=engine, settings=settings, run_id=run_id, client=client, limit=limit)
    for line in report.lines():
        print(line)


def main() -> None:
    from lens_core.errors import LensError

    args = build_parser().parse_args()
    if not args.sample:
        build_parser().print_help()
        print("\nnothing to do: pass --sample, or use the `lens` command (lens --help)")
        return
    try:
        run(args)
    except LensError as exc:
        print(f"lens: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("lens: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
