"""The one home of a worked kernel's input handling: with values, every array given and finite; without, a shape.

Every ``run_*`` worked kernel takes either its arrays (``values=True``) or just a ``shape`` (``values=False``,
time only). :func:`checked_inputs` decides which, refuses what is missing with one message that names both
choices, and returns finite float32 arrays (or the checked shape); the kernel then checks how the arrays' shapes
relate, which only it knows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.kernels.tiles import float_array, shape_of


def checked_inputs(what: str, arrays: Mapping[str, object], *, values: bool, shape: object, shape_text: str,
                   ndims: Mapping[str, int] | None = None) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """(arrays, ()) with ``values``: each array as a finite float32 array with ``ndims[name]`` axes (2 unless
    said); ((), shape) without: ``shape`` as ``len(shape_text's names)`` whole numbers >= 1.

    >>> arrays, _ = checked_inputs("run_x", {"a": [[1, 2]]}, values=True, shape=None, shape_text="(m, n)")
    >>> arrays["a"].dtype, arrays["a"].shape
    (dtype('float32'), (1, 2))
    >>> checked_inputs("run_x", {"a": None}, values=False, shape=(4, 8), shape_text="(m, n)")[1]
    (4, 8)
    """
    ndims = ndims or {}
    names = ", ".join(arrays)
    if values:
        if any(array is None for array in arrays.values()):
            raise ChiplabInputError(f"{what}: give {names}, or values=False with shape={shape_text}")
        return {name: float_array(f"{what}: {name}", array, ndims.get(name, 2))
                for name, array in arrays.items()}, ()
    if shape is None:
        raise ChiplabInputError(f"{what}: with values=False give shape={shape_text}")
    return {}, shape_of("shape", shape, shape_text.count(",") + 1)
