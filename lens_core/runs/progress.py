"""What a run tells about itself while it runs: one `RunProgress` per step, for a bar, a job row or a terminal.

Each event names the stage, how far it is (counts where the stage has them: texts embedded of the texts to
embed), and a note in words for what would otherwise look like a stall (numba compiling on first use,
a stored layout reused). `estimate_left` gives the seconds left only where the counts make it honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

STAGES = ("load", "embed", "reduce", "cluster", "map", "describe", "store", "track")
# What each stage is doing, in words a person reads on a progress bar.
STAGE_WORDS = {
    "load": "Loading the stored events",
    "embed": "Embedding texts",
    "reduce": "Reducing the embeddings (UMAP)",
    "cluster": "Clustering",
    "map": "Laying out the map",
    "describe": "Describing the clusters",
    "store": "Storing the run",
    "track": "Matching clusters to patterns",
}
# What `done` and `total` count in each stage that counts.
STAGE_UNITS = {"embed": "texts embedded", "describe": "clusters"}
MIN_SECONDS_FOR_ESTIMATE = 2.0  # before this, a rate says more about start-up than about the work


@dataclass(frozen=True)
class RunProgress:
    """One step of a run. fraction: of this stage, 0..1; done/total: counts, where the stage has them;
    note: what the stage is doing right now, in words ("" when its name says enough)."""

    stage: str
    fraction: float
    done: int | None = None
    total: int | None = None
    note: str = ""
    seconds_left: float | None = None

    @property
    def overall(self) -> float:
        """The whole run's share done, each stage counting the same (their durations differ by data)."""
        index = STAGES.index(self.stage) if self.stage in STAGES else 0
        return min(1.0, (index + max(0.0, min(1.0, self.fraction))) / len(STAGES))

    def text(self) -> str:
        """'Embedding texts: 1,200 of 3,000 texts embedded, about 40 s left (stage 2 of 8)'."""
        parts = [STAGE_WORDS.get(self.stage, self.stage)]
        details = []
        if self.total is not None:
            unit = STAGE_UNITS.get(self.stage, "")
            details.append(f"{self.done or 0:,} of {self.total:,} {unit}".rstrip())
        if self.note:
            details.append(self.note)
        if self.seconds_left is not None:
            details.append(f"about {_duration(self.seconds_left)} left")
        step = f" (stage {STAGES.index(self.stage) + 1} of {len(STAGES)})" if self.stage in STAGES else ""
        return parts[0] + (": " + ", ".join(details) if details else "…") + step


ProgressCallback = Callable[[RunProgress], None]


def estimate_left(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far; None until there is a rate worth stating (work done, time spent)."""
    if done <= 0 or done >= total or elapsed < MIN_SECONDS_FOR_ESTIMATE:
        return None
    return elapsed / done * (total - done)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"
