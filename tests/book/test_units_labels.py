"""GB or GiB, said consistently (issue 16, item 6): capacities are binary (KiB, MiB, GiB: powers of 1024), rates
decimal (kB/s, GB/s, TB/s: powers of 1000, as vendors quote them), and every capacity label in the catalog's tables
and in the diagrams drawn from it states the catalog's own value in the unit it names. NVIDIA's "80 GB" (a product
name in binary gigabytes) is explained once, where the book first shows a memory capacity.

What is checked against what: a label's number times its unit must give back a capacity the catalog stores for
that chip (a level, or a level summed over the chip's cores); a decimal reading mislabelled as GiB (80e9 B shown as
"80 GiB") or a binary one mislabelled as GB fails. Vendor-quoted free text (a level's "technology", a link's
"topology", a chip's product name) keeps the vendor's wording and is not checked.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest
from conftest_book import BOOK, read_cells, toc_entries

from chiplab.hardware import list_chips, load_chip
from chiplab.hardware.describe import capacity_table, chip_table, memory_table, roles_table
from chiplab.units import format_bytes
from chiplab.viz import draw_chip, draw_core

# "79.6 GiB", "3.35 TB/s", "228 KiB", "50 MB" — a number, a prefix, an optional "i", "B", an optional "/s".
_QUANTITY = re.compile(r"(\d+(?:[.,]\d+)*)\s*([kKMGTPE]?)(i?)B(/s)?\b")
_VENDOR_WORDING = {"technology", "topology", "chip", "link", "sources"}  # columns that quote the vendor
_BINARY = {"K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def label_problems(text: str, capacities_bytes: set[int] | None = None) -> list[str]:
    """Byte quantities in ``text`` whose unit contradicts their kind or, for capacities, their value."""
    problems = []
    for match in _QUANTITY.finditer(text):
        number, prefix, binary, per_second = match.groups()
        label = match.group(0)
        if per_second and binary:
            problems.append(f"{label!r}: a rate is decimal (GB/s), not binary")
        elif not per_second and prefix and not binary:
            problems.append(f"{label!r}: a capacity is binary (GiB, MiB, KiB), not decimal")
        elif not per_second and binary and capacities_bytes is not None:
            shown = {format_bytes(value) for value in capacities_bytes}
            if f"{number} {prefix.upper()}iB" not in shown:
                problems.append(f"{label!r} is no capacity of this chip in its unit (the catalog's, formatted: "
                                f"{sorted(shown)})")
    return problems


def capacities_of(chip) -> set[int]:
    """Every capacity a table or diagram may show for ``chip``: each level, and each level over all cores."""
    values = set()
    for level in chip.memory_levels:
        if level.capacity_bytes:
            values.add(level.capacity_bytes)
            values.add(chip.total_capacity_bytes(level.vendor_label))
    for role in {level.role for level in chip.memory_levels}:  # a role's levels summed (capacity_table)
        totals = [chip.total_capacity_bytes(level.vendor_label) for level in chip.memory_levels if level.role == role]
        if None not in totals:
            values.add(sum(totals))
    return values


def table_cells(markdown: str) -> list[tuple[str, str, str]]:
    """(first cell, column header, cell) of every body cell of a Markdown table."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return [(row[0], column, cell) for row in rows for column, cell in zip(header, row, strict=True)]


def test_detector_catches_each_kind_of_slip():
    h100 = load_chip("h100_sxm")
    assert label_problems("79.6 GiB and 3.35 TB/s", capacities_of(h100)) == []
    assert label_problems("80 GB")  # a capacity in decimal units
    assert label_problems("3.35 TiB/s")  # a rate in binary units
    assert label_problems("74.5 GiB", capacities_of(h100))  # 80e9 bytes: the datasheet read as decimal
    assert label_problems("85.5 GiB", capacities_of(h100))  # the allocatable bytes divided by 1e9, labelled GiB


REAL_CHIPS = list_chips("real")


@pytest.mark.parametrize("chip_id", REAL_CHIPS)
def test_catalog_tables_label_capacities_and_rates_by_their_values(chip_id):
    chip = load_chip(chip_id)
    capacities = capacities_of(chip)
    problems = []
    for table in (chip_table([chip]), memory_table([chip]), capacity_table([chip]), roles_table([chip])):
        for _, column, cell in table_cells(table):
            if column.split(",")[0] not in _VENDOR_WORDING:
                problems += [f"column {column!r}: {problem}" for problem in label_problems(cell, capacities)]
    assert not problems, f"{chip.display_name}:\n" + "\n".join(problems)


DRAWN = [chip_id for chip_id in REAL_CHIPS if load_chip(chip_id).core.matrix_unit.array is not None]


@pytest.mark.parametrize("chip_id", DRAWN)
def test_diagrams_label_capacities_by_their_values(chip_id):
    chip = load_chip(chip_id)
    problems = []
    for draw in (draw_core, draw_chip):
        ax = draw(chip)
        for text in [text.get_text() for text in ax.texts]:
            for quoted in (chip.display_name, *(level.technology for level in chip.memory_levels if level.technology)):
                text = text.replace(quoted, "")  # the vendor's wording, quoted as it is
            problems += [f"{draw.__name__}: {problem}" for problem in label_problems(text, capacities_of(chip))]
        plt.close(ax.figure)
    assert not problems, f"{chip.display_name}:\n" + "\n".join(problems)


CHAPTERS = [entry for entry in toc_entries() if entry.is_chapter]
# A formatter given the other kind of quantity: format_bytes(...bandwidth...) prints a rate as GiB,
# format_rate(...capacity..., "B/s") a capacity as GB/s.
_CROSSED = re.compile(r"format_bytes\([^()]*(?:bandwidth|_per_s)|format_rate\([^()]*capacity")


@pytest.mark.parametrize("entry", CHAPTERS, ids=[entry.docname for entry in CHAPTERS])
def test_pages_format_capacities_and_rates_with_their_own_formatter(entry):
    crossed = [f"{cell.location(number)}: {line.strip()}"
               for cell in read_cells(entry.path) if cell.kind == "code"
               for number, line in enumerate(cell.source.splitlines(), start=1) if _CROSSED.search(line)]
    assert not crossed, "capacities go through format_bytes (GiB), rates through format_rate (GB/s):\n" + "\n".join(
        crossed)


def test_nvidia_gb_is_explained_once_where_capacity_first_appears():
    """The label ``(units-gb-gib)=`` marks the explanation; it sits in the first chapter that shows a capacity."""
    label = "(units-gb-gib)="
    pages = [path for path in sorted(BOOK.rglob("*.md")) if "_build" not in path.parts
             and label in path.read_text(encoding="utf-8")]
    first_with_capacity = next(entry.path for entry in CHAPTERS if "capacity" in entry.path.read_text(encoding="utf-8"))
    assert pages == [first_with_capacity], f"the GB/GiB note belongs in {first_with_capacity.name} only: {pages}"
