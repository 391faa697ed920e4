"""One row of a SCALE-Sim 3.0.0 topology CSV, read field by field the way SCALE-Sim reads it.

SCALE-Sim's reader is ``scalesim/topology_utils.py: topologies.load_arrays_{gemm,conv}`` plus
``append_topo_arrays`` (which ``int()``s every stored field) and ``get_layer_sparsity_ratio`` (which reads the
stored entry's items 9 and 10). The rules, each checked against SCALE-Sim 3.0.0 on the rows of its own repository
(tests/golden/scalesim/CONVENTIONS.md §1, "Topology"):

* SCALE-Sim drops a row's last comma-separated field (``row.split(',')[:-1]``), meant to be the empty field after
  the trailing comma. chiplab drops it too, except when it is the only thing that makes the row complete: a row
  that merely lacks the trailing comma keeps all its fields (SCALE-Sim would lose the stride and stop).
* GEMM rows: ``elems[4]`` is the N:M ratio, nothing after it is read.
* Conv rows: the stride is duplicated, then the *last* field is popped as the ratio and its two halves appended,
  so the entry after the stride is ``[stride, extra integers..., N, M]`` and SCALE-Sim's ratio is the **first two
  values after the stride**: the row's own N:M when nothing stands between, otherwise the extra column(s).
* A ratio is ``split(':')`` and only its first two parts are used; every stored value goes through ``int()``.

A row SCALE-Sim stops at (an empty row of commas, a section title, tab-separated fields, letters in a dimension, a
last field that is no N:M) is refused with :class:`~chiplab.errors.ChiplabInputError` naming the file, line,
field and what is allowed, and saying that SCALE-Sim 3.0.0 stops there too.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab.errors import ChiplabInputError

GEMM_COLUMNS = ("layer name", "M", "N", "K")
CONV_COLUMNS = ("layer name", "IFMAP height", "IFMAP width", "filter height", "filter width", "channels",
                "num filters", "stride")
MAX_DIMENSION = 2**31 - 1  # larger layer dimensions overflow SCALE-Sim's (and numpy's) 64-bit address arithmetic
_STOPS_TOO = "SCALE-Sim 3.0.0 stops at this row too"


@dataclass(frozen=True)
class TopologyRow:
    """A row's values as SCALE-Sim stores them, and the fields it drops or never reads."""

    name: str
    dimensions: tuple[int, ...]  # GEMM (M, N, K) or conv (H, W, R, S, C, num filters, stride)
    sparsity_ratio: tuple[int, int]  # N:M, (1, 1) when the row has none
    ignored: tuple[str, ...] = ()  # fields SCALE-Sim drops (the last field) or stores and never reads
    note: str = ""  # why, when it is not obvious


def columns_of(input_type: str) -> tuple[str, ...]:
    return GEMM_COLUMNS if input_type == "gemm" else CONV_COLUMNS


def split_fields(line: str) -> tuple[list[str], str | None]:
    """A row's fields the way SCALE-Sim sees them, and the field it drops (None when nothing real is dropped)."""
    fields = [f.strip() for f in line.split(",")]
    if len(fields) > 1 and fields[-1] == "":
        return fields[:-1], None
    return fields, fields[-1]


def looks_like_layer(line: str, input_type: str) -> bool:
    """Whether a line (meant as the header) would parse as a layer row."""
    fields = split_fields(line)[0]
    columns = columns_of(input_type)
    return len(fields) >= len(columns) and all(f.lstrip("+").isdigit() for f in fields[1:len(columns)])


def _integer(text: str, field: str, where: str) -> int:
    try:
        return int(text)  # SCALE-Sim: int(str(elems[i]).strip())
    except ValueError:
        what = "is empty" if text == "" else "is not an integer"
        raise ChiplabInputError(f"{where}: {field} = {text[:40]!r} {what}; allowed: a whole number >= 1 "
                                f"({_STOPS_TOO})") from None


def _extra_integer(text: str, where: str) -> int:
    try:
        return int(text)  # append_topo_arrays int()s every stored field, these too
    except ValueError:
        raise ChiplabInputError(
            f"{where}: extra field {text[:40]!r} after the stride is not an integer; allowed: whole numbers before "
            f"the final N:M sparsity ratio, or nothing ({_STOPS_TOO})") from None


def _dimension(text: str, column: str, where: str) -> int:
    value = _integer(text, column, where)
    if value < 1:
        raise ChiplabInputError(f"{where}: {column} = {value}; allowed: a whole number >= 1")
    if value > MAX_DIMENSION:
        raise ChiplabInputError(f"{where}: {column} = {value} is too large; allowed: a whole number <= "
                                f"{MAX_DIMENSION} (2**31 - 1)")
    return value


def _ratio_halves(text: str, where: str, hint: str) -> tuple[int, int, list[str]]:
    """(N, M, what is left) of a ratio field: SCALE-Sim uses ``text.split(':')[0:2]``, int()ed, and drops the rest
    (``'1:2:9'`` is 1:2, ``':9'`` left)."""
    parts = text.split(":")
    try:
        if len(parts) < 2:
            raise ValueError
        n, m = int(parts[0]), int(parts[1])
    except ValueError:
        raise ChiplabInputError(f"{where}: sparsity ratio = {text[:40]!r}; allowed: N:M with whole numbers, e.g. "
                                f"1:1 ({_STOPS_TOO}){hint}") from None
    return n, m, [":" + ":".join(parts[2:])] if parts[2:] else []


def _checked_ratio(n: int, m: int, label: str, where: str, advice: str = "") -> tuple[int, int]:
    if not 1 <= n <= m or m > MAX_DIMENSION:
        raise ChiplabInputError(f"{where}: sparsity ratio {label} = {n}:{m}; allowed: N:M with 1 <= N <= M "
                                f"<= {MAX_DIMENSION} (N non-zero values in every block of M){advice}")
    return n, m


def _too_few_fields(fields: list[str], input_type: str, where: str) -> ChiplabInputError:
    columns = columns_of(input_type)
    if len(fields) == 1 and ("\t" in fields[0] or ";" in fields[0]):
        separator = "tabs" if "\t" in fields[0] else "semicolons"
        return ChiplabInputError(f"{where}: the fields are separated by {separator}; allowed: commas only, as "
                                 f"SCALE-Sim reads them ({_STOPS_TOO})")
    title = " (a section title?)" if len(fields) == 1 else ""
    return ChiplabInputError(
        f"{where}: expected {len(columns)} columns ({', '.join(columns)}) plus an optional sparsity ratio N:M for a "
        f"{input_type} topology, got {len(fields)}{title}: {', '.join(fields)[:80]!r}; allowed: one layer per row "
        f"with all {len(columns)} columns, or delete the line; {_STOPS_TOO}")


def read_row(line: str, input_type: str, where: str) -> TopologyRow:
    """One non-blank, non-header line of a ``"gemm"`` or ``"conv"`` topology, as SCALE-Sim 3.0.0 reads it."""
    columns = columns_of(input_type)
    fields, dropped = split_fields(line)
    if not any(fields):
        raise ChiplabInputError(f"{where}: a row of empty fields (only commas, as a spreadsheet writes an empty "
                                f"row); {_STOPS_TOO}; allowed: delete it (blank lines are skipped)")
    ignored: list[str] = []
    if dropped is not None and len(fields) > len(columns):
        # More fields than the layer needs and no trailing comma: SCALE-Sim drops the last one (often an
        # annotation such as '#dw' in its own mobilnet_paper.csv); so does chiplab, with a warning.
        fields, ignored = fields[:-1], [dropped]
    if len(fields) < len(columns):
        raise _too_few_fields(fields, input_type, where)
    name, rest = fields[0], fields[len(columns):]  # an empty name is accepted, as in SCALE-Sim
    dimensions = tuple(_dimension(text, column, where)
                       for text, column in zip(fields[1:len(columns)], columns[1:], strict=True))
    if not rest:
        return TopologyRow(name, dimensions, (1, 1), tuple(ignored))
    if input_type == "gemm":
        # load_arrays_gemm reads elems[4] as the ratio and never looks at anything after it.
        n, m, more = _ratio_halves(rest[0], where, "")
        ratio = _checked_ratio(n, m, repr(rest[0]), where)
        return TopologyRow(name, dimensions, ratio, tuple(more + rest[1:] + ignored))
    # load_arrays_conv: the last field is the ratio; integers between the stride and it are stored in front of
    # its halves, and get_layer_sparsity_ratio reads the first two values after the stride.
    extra = [_extra_integer(text, where) for text in rest[:-1]]
    hint = (f"; SCALE-Sim reads a conv row's last field as its ratio, and this row has {len(fields) - 1} values "
            f"after the name where a conv layer has {len(columns) - 1}: one column too many?")
    n, m, more = _ratio_halves(rest[-1], where, hint if rest[-1].lstrip("+-").isdigit() else "")
    if not extra:
        return TopologyRow(name, dimensions, _checked_ratio(n, m, repr(rest[-1]), where), tuple(more + ignored))
    first, second = [*extra, n, m][:2]
    n, m = _checked_ratio(first, second, "(the first two values after the stride)", where,
                          f"; SCALE-Sim 3.0.0 reads those, not the last field {rest[-1]!r}: remove the extra "
                          "column(s) so that the ratio follows the stride")
    return TopologyRow(name, dimensions, (n, m), tuple(rest + more + ignored),
                       note=f"SCALE-Sim's ratio here is {n}:{m}, the first two values after the stride")
