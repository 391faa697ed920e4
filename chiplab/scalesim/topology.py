"""Read SCALE-Sim 3.0.0 topology CSVs (GEMM ``M, N, K`` rows or convolution rows) into frozen layers.

SCALE-Sim's reader is ``scalesim/topology_utils.py: topologies.load_arrays_{gemm,conv}``. Its rules, which chiplab
follows:

* Line 1 is always a header and is skipped, whatever it contains; blank lines are skipped.
* Each row's fields are read as SCALE-Sim reads them (its dropped last field, what follows the layer's columns, the
  sparsity ratio): :mod:`chiplab.scalesim.topology_rows`. Fields SCALE-Sim ignores are ignored with a warning
  (:class:`ScaleSimInputWarning`, on stderr) naming each of them; rows SCALE-Sim stops at are refused.
* GEMM rows are ``name, M, N, K[, N:M]``; conv rows are ``name, IFMAP height, IFMAP width, filter height, filter
  width, channels, num filters, stride[, N:M]`` (one stride for both directions). The optional last field is a
  structured-sparsity ratio (``ScaleSimLayer.sparsity_ratio``; default 1:1, dense).
* A GEMM row becomes the convolution ``ifmap M x K, filter 1 x K, 1 channel, N filters, stride 1``, so that
  ``m = ofmap pixels``, ``n = filters`` and ``k = window size = R*S*channels`` for every layer.
* A conv layer whose name contains ``DP`` (depthwise) becomes one single-channel layer per channel, named
  ``<name>Channel_<i>``.

Where SCALE-Sim would crash or silently drop a layer (a first line that is really a layer, a filter larger than
its input), chiplab raises :class:`~chiplab.errors.ChiplabInputError` naming the file and line instead.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from os import PathLike

from chiplab._checks import instance_of, one_of, positive_int_at_most
from chiplab._guard import check_resources
from chiplab.errors import ChiplabInputError
from chiplab.scalesim._files import read_input_file
from chiplab.scalesim.sparsity import num_kept, padded_window
from chiplab.scalesim.topology_rows import MAX_DIMENSION as MAX_DIMENSION  # re-exported: sweep.py bounds by it
from chiplab.scalesim.topology_rows import columns_of, looks_like_layer, read_row

INPUT_TYPES = ("conv", "gemm")
LAYER_DIMENSIONS = ("ifmap_height", "ifmap_width", "filter_height", "filter_width", "num_channels", "num_filters",
                    "stride")
# A layer object plus its three report lines, and how many such layers a second (results are shared between
# identical layers, so a layer costs little more than its report lines); measured by benchmarks/bench_scalesim.py.
BYTES_PER_LAYER = 2048
LAYERS_PER_S = 20_000


class ScaleSimInputWarning(UserWarning):
    """Part of a SCALE-Sim input file was ignored (as SCALE-Sim 3.0.0 ignores it too)."""


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
    sparsity_ratio: tuple[int, int] = (1, 1)  # N:M: N non-zero filter values in every block of M (1:1 = dense)
    # SCALE-Sim's layer-wise sparsity is on ([sparsity] SparsitySupport = true, OptimizedMapping = false): of every
    # M window elements only the first N are kept, so the array streams ``k`` = the kept ones (see
    # chiplab.scalesim.sparsity); False (the default) simulates the layer dense whatever its ratio.
    window_pruned: bool = False
    # SCALE-Sim's row-wise sparsity is on (OptimizedMapping = true) with this BlockSize B: the array streams the
    # condensed filter's k = ceil(window / 2B) * B rows (chiplab.scalesim.rowwise); 0 = off.
    row_wise_block_size: int = 0
    where: str = dataclasses.field(default="", compare=False)  # "file:line" of the row, for error messages

    def __post_init__(self) -> None:
        # A layer built by hand (a sweep, dataclasses.replace) gets the checks a topology row gets.
        instance_of("name", self.name, str, "a layer name (a str; may be empty)")
        instance_of("where", self.where, str, "the 'file:line' of the layer's row, or ''")
        for field in LAYER_DIMENSIONS:
            object.__setattr__(self, field, positive_int_at_most(field, getattr(self, field), MAX_DIMENSION))
        ratio = self.sparsity_ratio
        if not isinstance(ratio, tuple) or len(ratio) != 2:
            raise ChiplabInputError(f"sparsity_ratio must be a pair (N, M) of whole numbers with 1 <= N <= M, "
                                    f"e.g. (1, 1); got {ratio!r}")
        n, m = (positive_int_at_most("sparsity_ratio", x, MAX_DIMENSION) for x in ratio)
        if n > m:
            raise ChiplabInputError(f"sparsity_ratio must be a pair (N, M) with 1 <= N <= M (N non-zero values in "
                                    f"every block of M); got {ratio!r}")
        object.__setattr__(self, "sparsity_ratio", (n, m))
        instance_of("window_pruned", self.window_pruned, bool, "True or False")
        if self.row_wise_block_size != 0:
            positive_int_at_most("row_wise_block_size", self.row_wise_block_size, MAX_DIMENSION)
            if self.window_pruned:
                raise ChiplabInputError("window_pruned (layer-wise sparsity) and row_wise_block_size (row-wise "
                                        "sparsity) exclude each other; got both")
        # topology_utils.append_topo_arrays asserts these (ISSUE #9).
        if self.filter_height > self.ifmap_height or self.filter_width > self.ifmap_width:
            raise ChiplabInputError(
                f"{self.where + ': ' if self.where else ''}filter {self.filter_height}x{self.filter_width} is "
                f"larger than the IFMAP {self.ifmap_height}x{self.ifmap_width}; allowed: filter height <= IFMAP "
                "height and filter width <= IFMAP width")

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
    def window_size(self) -> int:
        """Convolution window size R*S*channels, pruned or not."""
        return self.filter_height * self.filter_width * self.num_channels

    @property
    def k(self) -> int:
        """The reduction dimension the array streams: the window size, or with ``window_pruned`` the kept
        window elements (N of every M, see :mod:`chiplab.scalesim.sparsity`), or with ``row_wise_block_size``
        the rows of the condensed filter (:mod:`chiplab.scalesim.rowwise`)."""
        if self.row_wise_block_size:
            return padded_window(self.window_size, self.row_wise_block_size)
        if not self.window_pruned:
            return self.window_size
        return num_kept(self.window_size, *self.sparsity_ratio)

    @property
    def num_macs(self) -> int:
        """SCALE-Sim's ``num_compute`` (single_layer_sim.run): ofmap pixels x filters x window — the *dense*
        window even when it is pruned (``topologies.get_layer_window_size``)."""
        return self.m * self.n * self.window_size


def _layer(name: str, dimensions: tuple[int, ...], ratio: tuple[int, int], input_type: str,
           where: str) -> ScaleSimLayer:
    if input_type == "gemm":
        m, n, k = dimensions
        # topology_utils.load_arrays_gemm: [name, m, k, 1, k, 1, n, 1, 1] = ifmap m x k, filter 1 x k, n filters.
        return ScaleSimLayer(name=name, ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                             num_channels=1, num_filters=n, stride=1, sparsity_ratio=ratio, where=where)
    height, width, filter_height, filter_width, channels, filters, stride = dimensions
    return ScaleSimLayer(name=name, ifmap_height=height, ifmap_width=width, filter_height=filter_height,
                         filter_width=filter_width, num_channels=channels, num_filters=filters, stride=stride,
                         sparsity_ratio=ratio, where=where)  # which checks that the filter fits the IFMAP


def load_topology(path: str | PathLike[str], input_type: str = "conv") -> tuple[ScaleSimLayer, ...]:
    """Read a SCALE-Sim topology CSV; ``input_type`` is ``"conv"`` or ``"gemm"`` (SCALE-Sim's ``-i``)."""
    input_type = one_of("input_type", input_type, INPUT_TYPES)
    path, text = read_input_file("path", path, "topology")
    # Lines as SCALE-Sim's `for row in f` sees them: read_text already turned \r\n and \r into \n, and unlike
    # str.splitlines() nothing else (\f, \v, \x1c, \u2028, ...) ends a line.
    lines = text.split("\n")
    if lines and looks_like_layer(lines[0], input_type):
        columns = columns_of(input_type)
        raise ChiplabInputError(
            f"{path}:1: this line looks like a layer, but SCALE-Sim always skips line 1 as the header (it would "
            f"silently drop this layer); add a header line such as: {', '.join(columns)},")
    rows: list[tuple[ScaleSimLayer, int]] = []  # (layer, copies): a depthwise row stands for one layer per channel
    ignored: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        row = read_row(line, input_type, where)
        if row.ignored:
            note = f" ({row.note})" if row.note else ""
            ignored.append(f"line {number}: {', '.join(repr(x[:40]) for x in row.ignored)}{note}")
        layer = _layer(row.name, row.dimensions, row.sparsity_ratio, input_type, where)
        depthwise = input_type == "conv" and "DP" in layer.name
        rows.append((layer, layer.num_channels if depthwise else 1))
    if not rows:
        raise ChiplabInputError(f"topology file {path} has no layers: line 1 is the header, then one layer per line")
    if ignored:
        shown = "; ".join(ignored[:5]) + (f"; and {len(ignored) - 5} more rows" if len(ignored) > 5 else "")
        warnings.warn(f"{path}: ignored fields that SCALE-Sim 3.0.0 ignores too (it drops a row's last "
                      "comma-separated field, reads nothing after a GEMM row's N:M ratio and takes a conv row's "
                      f"ratio from the first two values after the stride): {shown}",
                      ScaleSimInputWarning, stacklevel=2)
    num_layers = sum(copies for _, copies in rows)
    # Each layer becomes an object here and three report lines later: refuse a file that would not fit.
    check_resources(f"the topology {path} ({num_layers} layers after splitting depthwise layers per channel)",
                    memory_bytes=num_layers * BYTES_PER_LAYER, work=num_layers, work_unit="layers",
                    work_per_s=LAYERS_PER_S, shrink_hint="Use fewer layers or channels")
    layers: list[ScaleSimLayer] = []
    for layer, copies in rows:
        if copies == 1 and not (input_type == "conv" and "DP" in layer.name):
            layers.append(layer)
            continue
        # topology_utils.load_arrays_conv: a depthwise layer is one single-channel layer per channel.
        layers.extend(dataclasses.replace(layer, name=f"{layer.name}Channel_{i}", num_channels=1)
                      for i in range(copies))
    return tuple(layers)
