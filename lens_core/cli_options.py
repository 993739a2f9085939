"""`lens process`'s options, generated from the registry (lens_core.registry) each time the command is built.

Typer reads a command's options from its callback's signature; `RegistryCommand` is a callback whose
signature is computed from the registry's rows when asked, so a backend registered anywhere (a plugin,
a test's toy) gets its name among the choices and an option per parameter, with no edit here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from lens_core.registry import CHOICE_OPTIONS, REGISTRY


def _choices(stage: str) -> type[Enum]:
    """The stage's registered names as a fresh Enum: click lists and checks them as choices."""
    return Enum(stage.title(), {name: name for name in REGISTRY.names(stage)}, type=str)  # type: ignore[return-value]


def stage_parameters() -> list[inspect.Parameter]:
    """An option per stage choice, then one per registered parameter, all defaulting to None (left out)."""
    out = []
    for stage, option in CHOICE_OPTIONS.items():
        rows = REGISTRY.rows[stage].values()
        default = "the view's own" if stage == "clusterer" else REGISTRY.default(stage)
        described = "; ".join(f"{row.name}: {row.help}" for row in rows)
        info = typer.Option(f"--{option}", help=f"{described} [default: {default}]", show_default=False)
        out.append(inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=None,
                                     annotation=Annotated[Optional[_choices(stage)], info]))
    for name, owner in REGISTRY.param_owners().items():
        param = next(p for p in owner.params if p.name == name)
        kind = {bool: bool, int: int, float: float}[param.kind]
        bounds = {} if kind is bool else {"min": param.minimum, "max": param.maximum}
        flag = f"--{name.replace('_', '-')}" + (f"/--no-{name.replace('_', '-')}" if kind is bool else "")
        default = "automatic" if param.optional and param.default is None else param.default
        info = typer.Option(flag, help=f"{owner.stage} {owner.name}: {param.help} [default: {default}]",
                            show_default=False, **bounds)
        out.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                     annotation=Annotated[Optional[kind], info]))
    return out


class RegistryCommand:
    """A Typer callback: `fixed` is a function whose own options come first; the registry's follow.
    Called with every option's value; hands `fixed` its own and the registry's as a dict `chosen`
    (None values dropped: left out)."""

    def __init__(self, fixed: Callable[..., None]) -> None:
        self.fixed = fixed
        self.__name__ = fixed.__name__
        self.__doc__ = fixed.__doc__

    @property
    def __signature__(self) -> inspect.Signature:
        own = [p for p in inspect.signature(self.fixed, eval_str=True).parameters.values() if p.name != "chosen"]
        return inspect.Signature([*own, *stage_parameters()])

    @property
    def __annotations__(self) -> dict[str, Any]:  # typing.get_type_hints reads these
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **values: Any) -> None:
        own = set(inspect.signature(self.fixed).parameters) - {"chosen"}
        chosen = {k: v.value if isinstance(v, Enum) else v for k, v in values.items() if k not in own and v is not None}
        self.fixed(**{k: v for k, v in values.items() if k in own}, chosen=chosen)
