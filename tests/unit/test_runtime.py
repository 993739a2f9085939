"""lens_core.runtime: each process-level tweak does what its docstring says, and only that.

- numba's cache folder is set before numba is imported, from NUMBA_CACHE_DIR, LENS_NUMBA_CACHE_DIR or
  a per-user default;
- numba kernels of a package imported through import_with_numba_cache are compiled once, then loaded
  from disk;
- a worker's main module is lazy: the caller's main script runs in a worker only when a task uses it
  (end to end through the ingest pool in tests/stage/test_ingest_parallel.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import pytest

from lens_core import runtime
from lens_core.runtime import numba_cache_by_default


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """The last line a fresh interpreter printed running `code`."""
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


# -- numba's cache folder -----------------------------------------------------------------------------


def test_numba_cache_dir_keeps_a_set_folder_else_takes_lens_setting_else_a_per_user_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "set"))
    monkeypatch.setenv("LENS_NUMBA_CACHE_DIR", str(tmp_path / "lens"))
    assert runtime.use_numba_cache_dir() == str(tmp_path / "set")

    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert runtime.use_numba_cache_dir() == str(tmp_path / "lens") == os.environ["NUMBA_CACHE_DIR"]

    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.delenv("LENS_NUMBA_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert runtime.use_numba_cache_dir() == str(tmp_path / ".cache" / "lens" / "numba")


def test_importing_the_clustering_package_sets_the_folder_before_numba_reads_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["LENS_NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    code = ("import sys, json\nimport lens_core.cluster\nbefore = 'numba' in sys.modules\nimport numba\n"
            "print(json.dumps([before, numba.config.CACHE_DIR]))")
    assert json.loads(_python(code, env=env)) == [False, str(tmp_path / "numba")]


# -- numba kernels cached by default ------------------------------------------------------------------


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
from lens_core.runtime import import_with_numba_cache
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
        return json.loads(_python(_CHILD, str(tmp_path), env=env))

    assert start() == {"hits": 0, "misses": 1}  # compiled, and written to the cache folder
    assert start() == {"hits": 1, "misses": 0}  # loaded from it: nothing compiled


# -- the lazy main module of fork-server workers ------------------------------------------------------


_LAZY_CHILD = """
import json, os, sys
from multiprocessing import spawn
import lens_core.runtime as runtime
installed = spawn._fixup_main_from_path is runtime._fixup_main_lazily
spawn._fixup_main_from_path(sys.argv[1])  # what spawn.prepare does in a worker
marker = sys.argv[1] + ".ran"
before = os.path.exists(marker)
value = sys.modules["__mp_main__"].VALUE  # what unpickling a function defined in the script does
print(json.dumps([installed, before, os.path.exists(marker), value, sys.modules["__main__"].__name__]))
"""


def test_a_workers_main_script_runs_only_when_something_in_it_is_used(tmp_path: Path) -> None:
    script = tmp_path / "heavy_main.py"
    script.write_text(f"open({str(script) + '.ran'!r}, 'w').close()\nVALUE = 42\n")
    assert json.loads(_python(_LAZY_CHILD, str(script))) == [True, False, True, 42, "__mp_main__"]


def test_the_fork_server_imports_the_runtime_first() -> None:
    from lens_core.ingest import parallel

    assert parallel.WORKER_MODULES[0] == runtime.__name__ == "lens_core.runtime"
