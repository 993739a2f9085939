"""Tracking: failure patterns that live across runs (ARCHITECTURE, "from runs to patterns that live").

    track.py      each run's clusters continue or open patterns; every event gets its pattern, rules applied
    matching.py   which pattern a cluster continues: shared fingerprints and message patterns, then centroids
    rules.py      the analyst's rules and their replay (merge, split, move, rename, resolve, ignore, ...)
    curation.py   making, undoing and listing rules
    queue.py      the triage queue: open patterns ranked by impact, each term shown; unique titles
    diff.py       what changed between two runs: kept, new, gone, split, merged
"""
