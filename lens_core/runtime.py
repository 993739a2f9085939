"""Process-level tweaks, in one place: each changes how Python or a library behaves in this process.

Three of them, each for start-up time, none for results:

- `use_numba_cache_dir()`: where numba keeps compiled code on disk. umap, pynndescent and fast_hdbscan
  compile their numba functions on first use, tens of seconds per process. numba can keep the compiled
  code on disk, but only if it knows where before it is imported: lens_core.cluster calls this at its
  import, and the numba-using packages are imported lazily, inside `fit`.
- `import_with_numba_cache()`: imports a package with numba's `njit`/`jit` defaulting to `cache=True`,
  for packages (umap-learn) that declare their kernels without it.
- the lazy main module of fork-server workers (`install_lazy_main()`): ingest's workers do not run the
  caller's main script again. Installed when this module is imported, because the fork server can only
  be told module names to import (lens_core.ingest.parallel.WORKER_MODULES names this one).

Importing this module imports neither numba nor anything heavy.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import spawn
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

# -- numba's cache folder -----------------------------------------------------------------------------


def use_numba_cache_dir() -> str:
    """Set NUMBA_CACHE_DIR for this process (and its children) unless it is set; returns the folder.

    The folder is NUMBA_CACHE_DIR if set, else LENS_NUMBA_CACHE_DIR, else ~/.cache/lens/numba (a per-user
    folder: site-packages may be read-only). numba reads it once, at its import: call this before.
    """
    folder = os.environ.get("LENS_NUMBA_CACHE_DIR") or str(Path.home() / ".cache" / "lens" / "numba")
    folder = os.environ.setdefault("NUMBA_CACHE_DIR", folder)
    if "numba" in sys.modules:
        # Too late for this process: numba read its config at import. Compilation still works, uncached.
        log.debug("numba was imported before lens_core.cluster; NUMBA_CACHE_DIR may not apply")
    return folder


# -- numba kernels cached by default ------------------------------------------------------------------
#
# umap-learn declares most of its numba kernels without `cache=True`, so every new process compiled them
# again: about 13 s of each start on 2 cores, before any UMAP could run. Inside `numba_cache_by_default()`,
# numba's `njit` and `jit` decorators default to `cache=True`, so a package imported there keeps what it
# compiles in NUMBA_CACHE_DIR, and the next process loads it from there. A kernel that says `cache=False`
# keeps its word; one decorated later, outside the import, compiles as before. numba checks each cached
# kernel against its source file, so upgrading umap-learn never loads stale code.

_NUMBA_LOCK = threading.Lock()  # the decorators are module state: one patched import at a time


def import_with_numba_cache(name: str, *, as_declared: tuple[str, ...] = ()) -> ModuleType:
    """`import name`, with numba kernels cached on disk by default (see above).

    as_declared: modules imported first, with their kernels as their authors declared them (a package
    that already caches what numba can; numba warns at each first call of a kernel it cannot cache).
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    for dependency in as_declared:
        importlib.import_module(dependency)
    with _NUMBA_LOCK, numba_cache_by_default():
        return importlib.import_module(name)


@contextmanager
def numba_cache_by_default() -> Iterator[None]:
    import numba

    originals = numba.njit, numba.jit
    numba.njit, numba.jit = _caching(numba.njit), _caching(numba.jit)
    try:
        yield
    finally:
        numba.njit, numba.jit = originals


def _caching(decorator: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(decorator)
    def with_cache(*args: Any, **options: Any) -> Any:
        options.setdefault("cache", True)
        return decorator(*args, **options)

    return with_cache


# -- the lazy main module of fork-server workers ------------------------------------------------------
#
# multiprocessing prepares every new worker by running the caller's main script again, as `__mp_main__`,
# so that functions and classes defined there can be unpickled (multiprocessing.spawn.prepare). Ingest's
# workers never need it: they get lens's own function and plain values. But a main script that imports
# a heavy stack (the benchmark, a service, a notebook exported to a script) made each worker spend
# seconds of CPU importing it again, while the ingest it was started for waited. Python's fork server
# is meant to import the main module once for all its children (set_forkserver_preload(["__main__"])),
# but on Python 3.11 it is never given the script's path (forkserver.ensure_running asks for a
# "main_path" key that spawn.get_preparation_data does not produce), so each child imported it anyway.
#
# With the patch installed in the fork server, its children's main module is lazy: `__mp_main__` is a
# module that runs the script on first attribute access, which is what unpickling something named in it
# does. Nothing else changes: a task that uses the main module gets it, complete, the first time it does.
# Installed anywhere else it changes nothing there either: spawn.prepare only runs in a child that
# multiprocessing starts without a plain fork.

# A private function of multiprocessing; on a Python without it, nothing is changed.
_eager_fixup = getattr(spawn, "_fixup_main_from_path", None)


def _fixup_main_lazily(main_path: str) -> None:
    current = sys.modules["__main__"]
    name = os.path.splitext(os.path.basename(main_path))[0]
    if name == "ipython" or getattr(current, "__file__", None) == main_path or not os.path.isfile(main_path):
        _eager_fixup(main_path)  # the cases multiprocessing handles specially, or a folder or zip to run
        return
    loader = importlib.machinery.SourceFileLoader("__mp_main__", main_path)  # also a script with no .py
    spec = importlib.util.spec_from_file_location("__mp_main__", main_path, loader=loader)
    if spec is None:
        _eager_fixup(main_path)
        return
    spec.loader = importlib.util.LazyLoader(loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # records what to run; the script itself runs on first use
    spawn.old_main_modules.append(current)
    sys.modules["__main__"] = sys.modules["__mp_main__"] = module


def install_lazy_main() -> bool:
    """Make the main module of workers this process starts lazy (see above); True when it is."""
    if _eager_fixup is None:
        return False
    spawn._fixup_main_from_path = _fixup_main_lazily  # type: ignore[attr-defined]
    return True


install_lazy_main()
