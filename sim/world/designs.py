"""Where designs come from: built in, a Python file, an importable module, or an installed
package's entry point.

``--design`` takes, in this order:

- a built-in name (``DESIGNS``: each a ``module:function`` inside this project);
- the name an installed package registers under the entry-point group ``q2c.designs``
  (``[project.entry-points."q2c.designs"] my-design = "my_pkg.core:build"``);
- ``path/to/file.py:factory``: the file is loaded by its path (relative to the working folder
  or absolute) under a module name of its own, so it needs no ``PYTHONPATH`` and works from
  the installed wheel outside this repository;
- ``package.module:function``: imported as Python imports anything.

A name, file, module or attribute that does not exist is the user's mistake
(``DesignNotFound``, exit 2, listing what exists). An exception raised by the design's own
code while it is imported is the design failing (``DesignFailure``, exit 3).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from sim.world.design_guard import DesignFailure

__all__ = [
    "DESIGNS",
    "ENTRY_POINT_GROUP",
    "DesignFactory",
    "DesignInfo",
    "DesignNotFound",
    "available_designs",
    "load_design",
]

DESIGNS = {
    "reference": "orchestrator.reference:build",
    "nightly-batch": "orchestrator.batch:build",
    "point-to-point": "orchestrator.point_to_point:build",
}
"""The built-in designs: name -> ``module:function`` (one line per design)."""
ENTRY_POINT_GROUP = "q2c.designs"

DesignFactory = Callable[..., Any]
"""``factory(runtime, tenant, options) -> object with handle(httpx.Request) -> httpx.Response``
(typed precisely as ``sim.world.world.DesignFactory``)."""


class DesignNotFound(ValueError):
    """``--design`` names nothing that exists; the message lists what does."""


@dataclass(frozen=True)
class DesignInfo:
    """One design ``q2c designs list`` shows: its name, what it points at, where it is from."""

    name: str
    target: str  # module:function
    source: str  # "built-in", or "<distribution> <version>" for an entry point
    shadowed: bool = False  # an installed name a built-in one hides


def _installed() -> list[EntryPoint]:
    """The ``q2c.designs`` entry points of every installed distribution, by name then
    distribution (a name two packages register resolves to the first, the same every time)."""
    found = entry_points(group=ENTRY_POINT_GROUP)
    return sorted(found, key=lambda ep: (ep.name, _dist_label(ep)))


def _dist_label(ep: EntryPoint) -> str:
    dist = ep.dist
    return "unknown distribution" if dist is None else f"{dist.name} {dist.version}"


def available_designs() -> list[DesignInfo]:
    """Built-in designs, then installed ones, each once (a name two packages register is
    listed for the one that wins)."""
    designs = [DesignInfo(name, target, "built-in") for name, target in DESIGNS.items()]
    seen = set(DESIGNS)
    for ep in _installed():
        if ep.name in seen and ep.name not in DESIGNS:
            continue
        designs.append(DesignInfo(ep.name, ep.value, _dist_label(ep), ep.name in DESIGNS))
        seen.add(ep.name)
    return designs


def _known() -> str:
    names = [d.name for d in available_designs() if not d.shadowed]
    return (
        f"built-in and installed designs: {', '.join(names)}; or give path/to/file.py:factory "
        "or package.module:function (q2c designs list)"
    )


def load_design(name: str) -> DesignFactory:
    """The factory ``name`` stands for (see the module's docstring for the forms)."""
    if name in DESIGNS:
        return _from_module(name, *_split(DESIGNS[name], name))
    for ep in _installed():
        if ep.name == name:
            return _from_entry_point(name, ep)
    where, colon, attr = name.rpartition(":")
    if not colon or not where or not attr:
        if name.endswith(".py"):
            raise DesignNotFound(f"design {name!r}: name its factory, as {name}:build")
        raise DesignNotFound(f"unknown design {name!r}: {_known()}")
    if where.endswith(".py") or "/" in where or "\\" in where:
        return _from_file(name, Path(where), attr)
    return _from_module(name, where, attr)


def _split(target: str, name: str) -> tuple[str, str]:
    module, _, attr = target.partition(":")
    if not attr:
        raise DesignNotFound(f"design {name!r} points at {target!r}: expected module:function")
    return module, attr


def _from_module(name: str, module_name: str, attr: str) -> DesignFactory:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            raise DesignNotFound(
                f"design {name!r}: no module named {exc.name!r} (is it installed, or on "
                f"PYTHONPATH? a file is given as path/to/file.py:{attr}); {_known()}"
            ) from None
        raise _import_failure(name, exc) from exc
    except Exception as exc:
        raise _import_failure(name, exc) from exc
    return _attribute(name, module, attr)


def _from_file(name: str, path: Path, attr: str) -> DesignFactory:
    if not path.is_file():
        raise DesignNotFound(f"design {name!r}: no file {path} (from {Path.cwd()}); {_known()}")
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    module_name = f"q2c_design_{digest}_{_identifier(resolved.stem)}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, resolved)
        if spec is None or spec.loader is None:
            raise DesignNotFound(f"design {name!r}: {path} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise _import_failure(name, exc) from exc
    return _attribute(name, module, attr)


def _from_entry_point(name: str, ep: EntryPoint) -> DesignFactory:
    try:
        factory = ep.load()
    except (ModuleNotFoundError, AttributeError) as exc:
        raise DesignNotFound(
            f"design {name!r} is registered by {_dist_label(ep)} as {ep.value!r}, which does "
            f"not load: {exc}"
        ) from None
    except Exception as exc:
        raise _import_failure(name, exc) from exc
    if not callable(factory):
        raise DesignNotFound(f"design {name!r} ({ep.value}) is not callable")
    return factory


def _attribute(name: str, module: ModuleType, attr: str) -> DesignFactory:
    factory = getattr(module, attr, None)
    if factory is None:
        callables = sorted(
            k for k, v in vars(module).items()
            if callable(v) and not k.startswith("_")
            and getattr(v, "__module__", None) == module.__name__
        )  # fmt: skip
        listed = ", ".join(callables) or "none"
        raise DesignNotFound(
            f"design {name!r}: {module.__name__} has no {attr!r} (its functions and classes: "
            f"{listed})"
        )
    if not callable(factory):
        raise DesignNotFound(f"design {name!r}: {attr!r} is not callable")
    return factory


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _import_failure(name: str, exc: BaseException) -> DesignFailure:
    """The design's own code raised while it was imported."""
    details = "".join(traceback.format_exception(exc))
    return DesignFailure(name, "import", None, "raised", f"{type(exc).__name__}: {exc}", details)
