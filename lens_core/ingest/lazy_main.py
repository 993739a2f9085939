"""Workers forked by lens's fork server load the caller's main script only if they use it.

multiprocessing prepares every new worker by running the caller's main script again, as `__mp_main__`,
so that functions and classes defined there can be unpickled (multiprocessing.spawn.prepare). Ingest's
workers never need it: they get lens's own function and plain values. But a main script that imports
a heavy stack (the benchmark, a service, a notebook exported to a script) made each worker spend
seconds of CPU importing it again, while the ingest it was started for waited. Python's fork server
is meant to import the main module once for all its children (set_forkserver_preload(["__main__"])), but
on Python 3.11 it is never given the script's path (forkserver.ensure_running asks for a "main_path"
key that spawn.get_preparation_data does not produce), so each child imported it anyway.

Importing this module in the fork server (parallel.WORKER_MODULES) makes its children's main module
lazy: `__mp_main__` is set up as a module that runs the script on first attribute access, which is
what unpickling something named in it does. Nothing else changes: a task that uses the main module
gets it, complete, the first time it does. Importing this module anywhere else changes nothing there
either: spawn.prepare only runs in a child that multiprocessing starts without a plain fork.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from multiprocessing import spawn

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


if _eager_fixup is not None:
    spawn._fixup_main_from_path = _fixup_main_lazily
