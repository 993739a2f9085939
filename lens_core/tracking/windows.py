"""The base and target of a comparison as a user names them: two releases, or two START..END windows.

Both surfaces (CLI options, REST query parameters) read them here; `spell` names a parameter the way that
surface spells it, so an error points at what the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lens_core.errors import InputError
from lens_core.tracking.trends import Window


def window_of(text: str, name: str) -> tuple[datetime, datetime]:
    """START..END in ISO date-times (START <= t < END); both with a time zone or neither (then UTC)."""
    start, dots, end = text.partition("..")
    try:
        if not dots:
            raise ValueError("no '..' between START and END")
        window = datetime.fromisoformat(start.strip()), datetime.fromisoformat(end.strip())
    except ValueError as error:
        raise InputError(f"{name} {text!r}: give START..END in ISO date-times ({error})") from None
    if (window[0].tzinfo is None) != (window[1].tzinfo is None):
        raise InputError(f"{name} {text!r}: give both ends with a time zone, or neither")
    if window[1] <= window[0]:
        raise InputError(f"{name} {text!r}: END must come after START")
    return window


def sides(base_release: str | None = None, target_release: str | None = None, base_window: str | None = None,
          target_window: str | None = None, *, spell: Callable[[str], str] = str
          ) -> tuple[Window | None, Window | None]:
    """The base and target named (None, None: trends' defaults)."""
    if base_release or target_release:
        if base_window or target_window:
            raise InputError("compare two releases or two windows, not a release with a window")
        if not (base_release and target_release):
            raise InputError(f"give both {spell('base_release')} and {spell('target_release')}")
        if base_release == target_release:
            raise InputError(f"{spell('base_release')} and {spell('target_release')} are both {base_release!r}")
        return base_release, target_release
    if not (base_window or target_window):
        return None, None
    if not (base_window and target_window):
        raise InputError(f"give both {spell('base_window')} and {spell('target_window')}")
    return window_of(base_window, spell("base_window")), window_of(target_window, spell("target_window"))
