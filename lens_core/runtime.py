"""Process-level tweaks, in one place: each changes how Python or a library behaves in this process.

Three of them, each for start-up time, none for results (and `first_use`, which tells a run's progress
whether a package's numba code will compile, load from the disk cache, or is in memory already):

- `use_numba_cache_dir()`: where numba keeps compiled code on disk. umap, pynndescent and fast_hdbscan
  compile their numba functions on first use, tens of seconds per process. numba can keep the compiled
  code on disk, but only if it knows where before it is imported: lens_core.cluster calls this at its
  import, and the numba-using packages are imported lazily, inside `fit`.
- `import_with_numba_cache()`: imports a package with numba's `njit`/`jit` defaulting to `cache=True`,
  for packages (umap-learn) that declare their kernels without it.
- the lazy main module of fork-server workers (`install_lazy_main()`): ingest's workers do not run the
  caller's main script again. Installed when this module is imported, because the fork server can only
  be told module names to import (lens_core.ingest.parallel.WORKER_MODULES names this one).

And one for clean exits: `stop_with(pid)`, which ends a worker process when the process it works for ends
(ingest's workers, however that process ends: kill -9 included).

Importing this module imports neither numba nor anything heavy.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import logging
import os
import select
import sys
import threading
import time
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


def first_use(packages: tuple[str, ...]) -> str | None:
    """What using `packages` first costs this process: "compile" (numba compiles their kernels: tens of
    seconds, once per install), "load" (their compiled kernels load from the disk cache: seconds), or None
    (imported already, or no numba code). Read from the cache folder's files, importing nothing."""
    pending = [name for name in packages if name not in sys.modules]
    if not pending:
        return None
    return "load" if all(_cached_on_disk(name) for name in pending) else "compile"


def _cached_on_disk(package: str) -> bool:
    """Whether NUMBA_CACHE_DIR holds compiled kernels of the package's own folder. numba keeps them in
    '<folder name>_<sha1 of the folder's path>' (numba.core.caching: get_suitable_cache_subpath)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return True  # not installed, or a single module: nothing of its own to compile
    folder = os.path.abspath(list(spec.submodule_search_locations)[0])
    name = f"{os.path.basename(folder)}_{hashlib.sha1(folder.encode()).hexdigest()}"
    cache = Path(os.environ.get("NUMBA_CACHE_DIR", "")) / name
    return bool(os.environ.get("NUMBA_CACHE_DIR")) and cache.is_dir() and any(cache.glob("*.nbi"))


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


# -- workers that end with the process they work for --------------------------------------------------
#
# Killed with SIGKILL, a process runs no cleanup, and its multiprocessing helpers outlived it: a pool's
# workers wait on their task queue forever (each holds that queue's write end itself, so it never reads
# end-of-file), and the fork server and the resource tracker, which exit once every process holding their
# pipe is gone, waited for those workers. So each worker watches the process it works for and exits
# with it; the fork server and the resource tracker then see their pipes close and exit too.
#
# A watch rather than prctl(PR_SET_PDEATHSIG): a worker's parent is the fork server, not the process it
# works for, and the fork server is started by whichever thread first needs a pool (often a short-lived
# one), while the death signal fires when the thread that forked ends, not the process.

STOP_WITH_POLL_S = 0.5  # where a process cannot be watched through a pidfd (not Linux)


def stop_with(pid: int) -> None:
    """End this process (os._exit) when process `pid` ends; returns at once (a daemon thread watches).
    POSIX only: on Windows, asking whether a process runs through os.kill would end it instead."""
    if os.name != "posix":
        return
    threading.Thread(target=_exit_when_ended, args=(pid,), name="lens-stop-with", daemon=True).start()


def _exit_when_ended(pid: int) -> None:
    _wait_for_end(pid)
    os._exit(1)  # no cleanup: the work this process did is for a process that no longer exists


def _wait_for_end(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # Linux 5.3+: readable once the process ends, and never another's pid
    except ProcessLookupError:
        return  # already ended
    except (AttributeError, OSError):  # another system, or a sandbox that refuses pidfds: ask now and then
        while _running(pid):
            time.sleep(STOP_WITH_POLL_S)
        return
    select.select([handle], [], [])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True
