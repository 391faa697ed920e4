"""Packages that import their modules on first use (PEP 562), so that a command starts with only what it runs.

A package's ``__init__`` maps each public name to the module that defines it; ``__all__`` and the type checker's
imports (under ``TYPE_CHECKING``) list the same names. ``import chiplab.hardware`` then costs a few milliseconds
instead of loading the catalog, and ``chiplab scalesim --help`` never parses a chip file
(benchmarks/bench_startup.py measures it; tests/cli/test_startup.py checks what each command imports).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public names live in the modules ``exports`` names
    (``{"load_chip": "catalog"}`` → ``package.catalog.load_chip``)."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        namespace[name] = value  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
