"""Where each catalog number comes from, for the book's tables and appendix: the quantity in words, its source as
a link a browser follows, and a chip's whole table of sources (figure as published, kind, source, date read)."""

from __future__ import annotations

from collections.abc import Sequence

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip
from chiplab.hardware.chip import Chip
from chiplab.tables import markdown_table


def _web_address(url: str) -> str:
    """A source's address as a link a browser (and the book's -n build) follows: "doi:10.1109/X" is
    https://doi.org/10.1109/X, the DOI system's resolver."""
    return "https://doi.org/" + url.removeprefix("doi:") if url.startswith("doi:") else url


def source_cell(chip: Chip, key: str) -> str:
    """The source of one of ``chip``'s numbers as a Markdown link and its kind; "—" where none is recorded."""
    provenance = chip.provenance.get(key)
    if provenance is None:
        return "—"
    return f"[{provenance.source.id}]({_web_address(provenance.source.url)}) ({provenance.kind})"


# Words for the catalog's provenance keys (the appendix and the sources tables show these, not the keys).
_QUANTITY_WORDS = {
    "num_cores": "cores per chip", "die_area_mm2": "die area", "num_transistors": "transistors",
    "process_node": "process node", "tdp_w": "power (TDP)", "core.matrix_unit.clock_hz": "matrix-unit clock",
    "core.matrix_unit.num_per_core": "matrix units per core", "core.matrix_unit.num_rows": "matrix-unit rows",
    "core.matrix_unit.num_cols": "matrix-unit columns", "core.scalar_clock_hz": "scalar-unit clock",
    "core.vector_clock_hz": "vector-unit clock", "capacity_bytes": "capacity", "bandwidth_bytes_per_s": "bandwidth",
    "max_chips": "chips per domain", "num_links": "links per chip",
    "per_link_one_way_bytes_per_s": "bandwidth per link, one way", "topology": "topology",
}  # fmt: skip
_PER_FORMAT = {"peak_flops_per_s": "peak", "vector_peak_flops_per_s": "vector-unit peak",
               "core.matrix_unit.macs_per_pe_per_cycle": "MACs per PE per cycle"}  # fmt: skip


def quantity_label(key: str) -> str:
    """A catalog provenance key in words: "memory.SBUF.capacity_bytes" -> "SBUF capacity",
    "core.matrix_unit.macs_per_pe_per_cycle.bf16" -> "MACs per PE per cycle (bf16)".

    >>> quantity_label("links.NVLink 4.per_link_one_way_bytes_per_s")
    'NVLink 4 bandwidth per link, one way'
    """
    if key.startswith(("memory.", "links.")):
        _, name, field_name = key.split(".", 2)
        return f"{name} {_QUANTITY_WORDS.get(field_name, field_name.replace('_', ' '))}"
    prefix, _, number_format = key.rpartition(".")
    if prefix in _PER_FORMAT:
        return f"{_PER_FORMAT[prefix]} ({number_format})"
    return _QUANTITY_WORDS.get(key, key.replace("_", " "))


def sources_table(chip_id: str | Chip, prefixes: Sequence[str] = ()) -> str:
    """Where each of a chip's numbers comes from: the figure as published, its kind, the source (linked), the
    date it was read and where in the source. ``prefixes`` keeps only some keys (e.g. ``["peak", "memory"]``)."""
    chip = as_chip(chip_id)
    rows = []
    for key, provenance in chip.provenance.items():
        if prefixes and not key.startswith(tuple(prefixes)):
            continue
        source = provenance.source
        rows.append([quantity_label(key), provenance.as_published or "—", provenance.kind,
                     f"[{source.id}]({_web_address(source.url)})", provenance.accessed.isoformat(), provenance.note])
    if not rows:
        raise ChiplabInputError(f"chip {chip.id!r} has no provenance keys starting with {list(prefixes)}")
    return markdown_table(["quantity", "as published", "kind", "source", "read on", "where"], rows)
