"""Import numba-using packages so that their compiled code is kept on disk.

umap-learn declares most of its numba kernels without `cache=True`, so every new process compiled them
again: about 13 s of each start on 2 cores, before any UMAP could run. Inside `numba_cache_by_default()`,
numba's `njit` and `jit` decorators default to `cache=True`, so a package imported there keeps what it
compiles in NUMBA_CACHE_DIR (see lens_core.cluster), and the next process loads it from there. A kernel
that says `cache=False` keeps its word; one decorated later, outside the import, compiles as before.
numba checks each cached kernel against its source file, so upgrading umap-learn never loads stale code.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_LOCK = threading.Lock()  # the decorators are module state: one patched import at a time


def import_with_numba_cache(name: str, *, as_declared: tuple[str, ...] = ()) -> ModuleType:
    """`import name`, with numba kernels cached on disk by default (see the module docstring).

    as_declared: modules imported first, with their kernels as their authors declared them (a package
    that already caches what numba can; numba warns at each first call of a kernel it cannot cache).
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    for dependency in as_declared:
        importlib.import_module(dependency)
    with _LOCK, numba_cache_by_default():
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
