"""jit_cache: numba kernels of a package imported through it are compiled once, then loaded from disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba

from lens_core.cluster.jit_cache import numba_cache_by_default


def test_kernels_declared_inside_default_to_the_disk_cache_and_an_explicit_choice_stands() -> None:
    original = numba.njit
    with numba_cache_by_default():
        cached = numba.njit(lambda x: x + 1)
        uncached = numba.njit(cache=False)(lambda x: x + 1)
        with_options = numba.jit(nopython=True)(lambda x: x + 1)
    outside = numba.njit(lambda x: x + 1)
    assert numba.njit is original
    assert type(cached._cache).__name__ == "FunctionCache"
    assert type(with_options._cache).__name__ == "FunctionCache"
    assert type(uncached._cache).__name__ == "NullCache"
    assert type(outside._cache).__name__ == "NullCache"


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lens_core.cluster.jit_cache import import_with_numba_cache
kernels = import_with_numba_cache("lens_test_kernels")
assert kernels.add(1, 2) == 3
print(json.dumps({"hits": sum(kernels.add.stats.cache_hits.values()),
                  "misses": sum(kernels.add.stats.cache_misses.values())}))
"""


def test_a_second_process_loads_what_the_first_compiled(tmp_path: Path) -> None:
    # The module says nothing about caching, as umap-learn's kernels do not.
    (tmp_path / "lens_test_kernels.py").write_text("import numba\n\n@numba.njit\ndef add(a, b):\n    return a + b\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}

    def start() -> dict[str, int]:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path)], env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert start() == {"hits": 0, "misses": 1}  # compiled, and written to the cache folder
    assert start() == {"hits": 1, "misses": 0}  # loaded from it: nothing compiled
