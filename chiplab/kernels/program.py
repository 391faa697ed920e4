"""A kernel as data: the text of its declarations and instructions, and a replay of that text on other inputs.

Running a kernel records every declaration (HBM tensors, tiles) and every instruction with its operands.
``run.program`` writes that record as one line of text; :func:`replay` rebuilds the kernel from the text on
*other* arrays of the same shapes and runs it again, values and time, with every check the tile language makes.
This is how the kernel assignment is graded: the student's code runs only in the sandbox, the program text
crosses to the grader as a plain string, and the grader replays it on its own random inputs — so the time is the
simulator's, never a number the student printed, and values that do not follow from the inputs are caught.
Replaying never runs Python from the text: it only calls :class:`chiplab.kernels.Kernel` methods named in a
fixed table, with numbers and slices.

>>> import numpy as np
>>> from chiplab.kernels import Kernel
>>> k = Kernel("toy_4x4"); a = k.hbm("a", np.ones((4, 4))); c = k.hbm_output("c", (4, 4))
>>> t = k.tile((4, 4), name="t"); out = k.tile((4, 4), "fp32", name="out")
>>> k.load(t, a); k.copy(out, t); k.store(c, out)
>>> run = k.finish()
>>> again = replay(run.program, {"a": np.full((4, 4), 3.0)})
>>> float(again.outputs["c"][0, 0]), again.total_s == run.total_s
(3.0, True)
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.kernels.tiles import Tensor, Tile, View

if TYPE_CHECKING:
    from chiplab.hardware import Chip
    from chiplab.kernels.language import Kernel
    from chiplab.kernels.params import CoreParams
    from chiplab.kernels.result import KernelRun

# One recorded declaration or instruction: its name, then its operands (views, shapes, numbers, words).
Entry = tuple[object, ...]
# What a run keeps to write its program: (chip id, dataflow, kernel name, every entry in program order).
Recording = tuple[str, str, str, list[Entry]]

PROGRAM_PREFIX = "chiplab-kernel/1:"
MAX_PROGRAM_CHARS = 400_000        # the text a grader accepts (about 30,000 instructions compressed)
MAX_DECODED_BYTES = 20_000_000     # refuses a compression bomb before it is expanded
# Each instruction's Kernel method arguments, in recorded order, as name:kind (v = a view, n = a number,
# w = a word, b = a flag, q = a DMA queue or None, vn = a view or a number).
_INSTRUCTIONS = {
    "load": "dst:v src:v queue:q", "store": "dst:v src:v queue:q",
    "matmul": "dst:v stationary:v moving:v accumulate:b", "dot": "dst:v x:v y:v accumulate:b",
    "tensor_tensor": "dst:v x:v y:v op:w", "activation": "dst:v src:v func:w bias:vn scale:n",
    "reduce": "dst:v src:v op:w", "copy": "dst:v src:v", "transpose": "dst:v src:v", "fill": "dst:v value:n",
}


def program_text(chip_id: str, dataflow: str, name: str, recorded: list[Entry]) -> str:
    """A recorded kernel as one line: ``chiplab-kernel/1:`` then compressed JSON (``run.program`` calls this)."""
    entries = [[_plain(part) for part in entry] for entry in recorded]
    return encode_program({"chip": chip_id, "dataflow": dataflow, "name": name, "program": entries})


def _plain(part: object) -> object:
    if isinstance(part, View):
        return [part.buffer.number, [[s.start, s.stop] for s in part.index]]
    if isinstance(part, tuple):
        return list(part)
    return part


def decode_program(text: object) -> dict[str, Any]:
    """The program's data (chip, dataflow, name, entries), or ChiplabInputError saying what is wrong with it.
    A fresh dict and entry list each call (the entries themselves are shared: build new ones to change one)."""
    if not isinstance(text, str) or not text.startswith(PROGRAM_PREFIX):
        raise ChiplabInputError(f"a kernel program is the text run.program gives (it starts with "
                                f"{PROGRAM_PREFIX!r}); got {type(text).__name__}")
    data = _decoded(text)
    return {**data, "program": list(data["program"])}


@functools.lru_cache(maxsize=64)  # a grader decodes one program several times (format, inputs, replay)
def _decoded(text: str) -> dict[str, Any]:
    if len(text) > MAX_PROGRAM_CHARS:
        raise ChiplabInputError(f"a kernel program may be at most {MAX_PROGRAM_CHARS:,} characters; this one has "
                                f"{len(text):,} (use larger tiles: fewer instructions)")
    damaged = "this kernel program text is damaged: copy run.program again, unchanged"
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(text[len(PROGRAM_PREFIX):], validate=True), MAX_DECODED_BYTES)
    except (binascii.Error, zlib.error, ValueError):
        raise ChiplabInputError(damaged) from None
    if inflater.unconsumed_tail:
        raise ChiplabInputError(f"a kernel program expands to more than {MAX_DECODED_BYTES:,} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ChiplabInputError(damaged) from None
    if not (isinstance(data, dict) and isinstance(data.get("program"), list) and isinstance(data.get("chip"), str)
            and isinstance(data.get("dataflow"), str)):
        raise ChiplabInputError(damaged)
    return data


def encode_program(data: dict[str, Any]) -> str:
    """The text of program data (e.g. after a grader changed one instruction to build a known slip); the data
    as :func:`decode_program` gives it (replaying checks each entry)."""
    if not (isinstance(data, dict) and isinstance(data.get("program"), list) and isinstance(data.get("chip"), str)
            and isinstance(data.get("dataflow"), str)):
        raise ChiplabInputError(f"data must be a dict with 'chip', 'dataflow' and a 'program' list, as "
                                f"decode_program gives; got {type(data).__name__}")
    try:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ChiplabInputError(f"data must hold only numbers, words and lists: {error}") from None
    packed = zlib.compress(text.encode("utf-8"), 9)
    return PROGRAM_PREFIX + base64.b64encode(packed).decode("ascii")


def program_inputs(text: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """{input name: (shape, dtype)} the program declares in HBM (the arrays :func:`replay` needs)."""
    entries = decode_program(text)["program"]
    return {e[1]: (tuple(e[2]), e[3]) for e in entries if isinstance(e, list) and len(e) == 4 and e[0] == "hbm"
            and isinstance(e[1], str) and isinstance(e[2], list) and isinstance(e[3], str)}


def replay(text: str, inputs: Mapping[str, np.ndarray] | None = None, *,
           chip: str | Chip | CoreParams | None = None, values: bool = True) -> KernelRun:
    """Rebuild the kernel from ``text`` and run it on ``inputs`` ({HBM input name: array}) on ``chip`` (the
    program's own chip when None); ``values=False`` times it without inputs. Returns a
    :class:`chiplab.kernels.KernelRun`. Anything malformed, or an instruction the tile language refuses, raises
    ChiplabInputError naming the instruction's place in the program."""
    from chiplab.kernels.language import Kernel

    data = decode_program(text)
    kernel = Kernel(data["chip"] if chip is None else chip, values=values, dataflow=data["dataflow"],
                    name=str(data.get("name", "kernel"))[:80])
    inputs = dict(inputs or {})
    buffers = _Buffers()
    for number, entry in enumerate(data["program"]):
        where = f"kernel program entry {number}"
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            raise ChiplabInputError(f"{where}: expected [instruction, operands...]; got {str(entry)[:80]}")
        kind, args = entry[0], entry[1:]
        if kind in ("hbm", "out", "tile"):
            buffers.append(_declare(kernel, kind, args, inputs, values, where))
        elif kind in _INSTRUCTIONS:
            getattr(kernel, kind)(**_operands(_INSTRUCTIONS[kind], args, buffers, where))
        else:
            raise ChiplabInputError(f"{where}: unknown instruction {kind!r}; known: {', '.join(_INSTRUCTIONS)}")
    return kernel.finish()


class _Buffers(list[Tensor | Tile]):
    """The program's tensors and tiles in declaration order, and the views made of them so far."""

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[tuple[object, ...], View] = {}


def _declare(kernel: Kernel, kind: str, args: list[Any], inputs: dict[str, np.ndarray], values: bool,
             where: str) -> Tensor | Tile:
    if kind == "tile":
        if len(args) != 4:
            raise ChiplabInputError(f"{where}: a tile is [shape, dtype, name, memory]")
        shape, dtype, name, role = args
        memory = "accumulator" if role == "accumulator" else None
        return kernel.tile(_tuple(shape, where), dtype, name=str(name)[:80], memory=memory)
    if len(args) != 3 or not isinstance(args[0], str):
        raise ChiplabInputError(f"{where}: an HBM tensor is [name, shape, dtype]")
    name, shape, dtype = args[0][:80], _tuple(args[1], where), args[2]
    if kind == "out":
        return kernel.hbm_output(name, shape, dtype)
    if not values:
        return kernel.hbm(name, shape=shape, dtype=dtype)
    if name not in inputs:
        raise ChiplabInputError(f"{where}: the program reads an HBM input {name!r} that was not given; given: "
                                f"{', '.join(inputs) or 'none'}")
    array = np.asarray(inputs[name])
    if array.shape != shape:
        raise ChiplabInputError(f"{where}: the program declares HBM input {name!r} with shape {shape}; the "
                                f"given array has shape {array.shape}")
    return kernel.hbm(name, array, dtype=dtype)


def _tuple(value: object, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ChiplabInputError(f"{where}: a shape is a list of whole numbers; got {str(value)[:80]}")
    return tuple(value)


@functools.cache
def _signature(signature: str) -> list[list[str]]:
    return [part.split(":") for part in signature.split()]


def _operands(signature: str, args: list[Any], buffers: _Buffers, where: str) -> dict[str, object]:
    names_kinds = _signature(signature)
    if len(args) != len(names_kinds):
        raise ChiplabInputError(f"{where}: expected {len(names_kinds)} operands; got {len(args)}")
    return {name: _operand(kind, arg, buffers, where) for (name, kind), arg in zip(names_kinds, args, strict=True)}


def _operand(kind: str, arg: object, buffers: _Buffers, where: str) -> object:
    if kind == "v" or (kind == "vn" and isinstance(arg, list)):
        if not (isinstance(arg, list) and len(arg) == 2 and type(arg[0]) is int and 0 <= arg[0] < len(buffers)
                and isinstance(arg[1], list)
                and all(isinstance(s, list) and len(s) == 2 and type(s[0]) is type(s[1]) is int for s in arg[1])):
            raise ChiplabInputError(f"{where}: an operand is [buffer number, [[start, stop], ...]]; got "
                                    f"{str(arg)[:80]}")
        # A program names the same slices again and again (a strip's parts in every block): make each view once.
        key = (arg[0], *(tuple(s) for s in arg[1]))
        view = buffers.views.get(key)
        if view is None:
            view = buffers.views[key] = buffers[arg[0]][tuple(slice(start, stop) for start, stop in arg[1])]
        return view
    if kind == "q":
        return arg if arg is None or type(arg) is int else _bad(where, "queue", arg)
    if kind == "b":
        return arg if isinstance(arg, bool) else _bad(where, "flag", arg)
    if kind == "w":
        return arg if isinstance(arg, str) else _bad(where, "word", arg)
    return arg if isinstance(arg, int | float) and not isinstance(arg, bool) else _bad(where, "number", arg)


def _bad(where: str, what: str, arg: object) -> NoReturn:
    raise ChiplabInputError(f"{where}: expected a {what}; got {str(arg)[:80]}")


__all__ = ["PROGRAM_PREFIX", "decode_program", "encode_program", "program_inputs", "program_text", "replay"]
