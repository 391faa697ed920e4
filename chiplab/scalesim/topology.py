"""Read SCALE-Sim 3.0.0 topology CSVs (GEMM ``M, N, K`` rows or convolution rows) into frozen layers.

SCALE-Sim's reader is ``scalesim/topology_utils.py: topologies.load_arrays_{gemm,conv}``. Its rules, which chiplab
follows:

* Line 1 is always a header and is skipped, whatever it contains; blank lines are skipped.
* Every row ends in a trailing comma: SCALE-Sim drops the last comma-separated field (``row.split(',')[:-1]``).
  chiplab accepts rows with or without that trailing comma.
* GEMM rows are ``name, M, N, K[, N:M]``; conv rows are ``name, IFMAP height, IFMAP width, filter height, filter
  width, channels, num filters, stride[, N:M]`` (one stride for both directions). The optional last field is a
  structured-sparsity ratio, parsed but unused unless sparsity is on (chiplab does not support sparsity).
* A GEMM row becomes the convolution ``ifmap M x K, filter 1 x K, 1 channel, N filters, stride 1``, so that
  ``m = ofmap pixels``, ``n = filters`` and ``k = window size = R*S*channels`` for every layer.
* A conv layer whose name contains ``DP`` (depthwise) becomes one single-channel layer per channel, named
  ``<name>Channel_<i>``.

Where SCALE-Sim would crash or silently drop a layer (a first line that is really a layer, a filter larger than
its input), chiplab raises :class:`~chiplab.errors.ChiplabInputError` naming the file and line instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from chiplab.errors import ChiplabInputError

GEMM_COLUMNS = ("layer name", "M", "N", "K")
CONV_COLUMNS = ("layer name", "IFMAP height", "IFMAP width", "filter height", "filter width", "channels",
                "num filters", "stride")
INPUT_TYPES = ("conv", "gemm")


@dataclass(frozen=True, kw_only=True)
class ScaleSimLayer:
    """One layer as SCALE-Sim stores it (``topology_utils.topo_arrays``): always a convolution.

    The GEMM view is ``C[m, n] = A[m, k] @ B[k, n]`` with m = ofmap pixels per filter (im2col rows), n = filters
    and k = the convolution window R*S*channels.
    """

    name: str
    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    num_channels: int
    num_filters: int
    stride: int

    @property
    def ofmap_height(self) -> int:
        # topology_utils.topo_calc_hyperparams: ceil((H - R + s) / s). The ceil means that when (H - R) is not a
        # multiple of s the last window hangs off the input; operand_matrix gives its missing pixels address -1.
        return math.ceil((self.ifmap_height - self.filter_height + self.stride) / self.stride)

    @property
    def ofmap_width(self) -> int:
        return math.ceil((self.ifmap_width - self.filter_width + self.stride) / self.stride)

    @property
    def m(self) -> int:
        """Ofmap pixels per filter: the rows of the im2col ifmap operand matrix."""
        return self.ofmap_height * self.ofmap_width

    @property
    def n(self) -> int:
        """Number of filters: the columns of the filter operand matrix."""
        return self.num_filters

    @property
    def k(self) -> int:
        """Convolution window size R*S*channels: the reduction dimension."""
        return self.filter_height * self.filter_width * self.num_channels

    @property
    def num_macs(self) -> int:
        """SCALE-Sim's ``num_compute`` (single_layer_sim.run): ofmap pixels x filters x window."""
        return self.m * self.n * self.k


def _fields(line: str) -> list[str]:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) > 1 and fields[-1] == "":
        fields = fields[:-1]  # SCALE-Sim's trailing comma
    return fields


def _positive_int(text: str, column: str, where: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ChiplabInputError(
            f"{where}: {column} = {text!r} is not an integer; allowed: a whole number >= 1") from None
    if value < 1:
        raise ChiplabInputError(f"{where}: {column} = {value}; allowed: a whole number >= 1")
    return value


def _check_sparsity(text: str, where: str) -> None:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ChiplabInputError(f"{where}: sparsity ratio = {text!r}; allowed: N:M with whole numbers, e.g. 1:1")


def _parse_row(fields: list[str], input_type: str, where: str) -> ScaleSimLayer:
    columns = GEMM_COLUMNS if input_type == "gemm" else CONV_COLUMNS
    if len(fields) not in (len(columns), len(columns) + 1):
        raise ChiplabInputError(
            f"{where}: expected {len(columns)} columns ({', '.join(columns)}) plus an optional sparsity ratio N:M "
            f"for a {input_type} topology, got {len(fields)}: {', '.join(fields)!r}")
    if len(fields) > len(columns):
        _check_sparsity(fields[-1], where)
    name = fields[0]
    if not name:
        raise ChiplabInputError(f"{where}: the layer name is empty")
    values = [_positive_int(text, column, where) for text, column in zip(fields[1:], columns[1:], strict=False)]
    if input_type == "gemm":
        m, n, k = values
        # topology_utils.load_arrays_gemm: [name, m, k, 1, k, 1, n, 1, 1] = ifmap m x k, filter 1 x k, n filters.
        return ScaleSimLayer(name=name, ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                             num_channels=1, num_filters=n, stride=1)
    layer = ScaleSimLayer(name=name, ifmap_height=values[0], ifmap_width=values[1], filter_height=values[2],
                          filter_width=values[3], num_channels=values[4], num_filters=values[5], stride=values[6])
    # topology_utils.append_topo_arrays asserts these (ISSUE #9).
    if layer.filter_height > layer.ifmap_height or layer.filter_width > layer.ifmap_width:
        raise ChiplabInputError(
            f"{where}: filter {layer.filter_height}x{layer.filter_width} is larger than the IFMAP "
            f"{layer.ifmap_height}x{layer.ifmap_width}; allowed: filter height <= IFMAP height and filter width "
            "<= IFMAP width")
    return layer


def _looks_like_layer(fields: list[str], input_type: str) -> bool:
    columns = GEMM_COLUMNS if input_type == "gemm" else CONV_COLUMNS
    numbers = fields[1:len(columns)]
    return len(fields) >= len(columns) and all(f.lstrip("+").isdigit() for f in numbers)


def load_topology(path: str | Path, input_type: str = "conv") -> tuple[ScaleSimLayer, ...]:
    """Read a SCALE-Sim topology CSV; ``input_type`` is ``"conv"`` or ``"gemm"`` (SCALE-Sim's ``-i``)."""
    if input_type not in INPUT_TYPES:
        raise ChiplabInputError(f"input_type = {input_type!r}; allowed: 'conv' or 'gemm'")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChiplabInputError(f"topology file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChiplabInputError(f"topology file {path} cannot be read: {exc}") from None
    lines = text.splitlines()
    if lines and _looks_like_layer(_fields(lines[0]), input_type):
        columns = GEMM_COLUMNS if input_type == "gemm" else CONV_COLUMNS
        raise ChiplabInputError(
            f"{path}:1: this line looks like a layer, but SCALE-Sim always skips line 1 as the header (it would "
            f"silently drop this layer); add a header line such as: {', '.join(columns)},")
    layers: list[ScaleSimLayer] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        layer = _parse_row(_fields(line), input_type, f"{path}:{number}")
        if input_type == "conv" and "DP" in layer.name:
            # topology_utils.load_arrays_conv: a depthwise layer is one single-channel layer per channel.
            layers.extend(
                ScaleSimLayer(name=f"{layer.name}Channel_{i}", ifmap_height=layer.ifmap_height,
                              ifmap_width=layer.ifmap_width, filter_height=layer.filter_height,
                              filter_width=layer.filter_width, num_channels=1, num_filters=layer.num_filters,
                              stride=layer.stride)
                for i in range(layer.num_channels))
        else:
            layers.append(layer)
    if not layers:
        raise ChiplabInputError(f"topology file {path} has no layers: line 1 is the header, then one layer per line")
    return tuple(layers)
