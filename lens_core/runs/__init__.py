"""Runs: one stored process() run (pipeline, results), background jobs, liveness of their owners, exports of a run."""
