"""The whole catalog as one Markdown document (the book's appendix): every chip, its notes and every number with
the figure as published, its source and the date it was read — generated from the data files, never retyped."""

from __future__ import annotations

from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.hardware.describe import sources_table


def chip_section(chip_id: str) -> str:
    """One chip: a heading, what kind of entry it is, its notes, and the table of sources."""
    chip = load_chip(chip_id)
    kind = "an invented teaching chip (toy)" if chip.kind == "toy" else f"{chip.vendor}, {chip.family} family"
    aliases = ", ".join(f"`{a}`" for a in chip.aliases) or "none"
    lines = [f"### {chip.display_name}", "", f"`load_chip({chip.id!r})` — {kind}; aliases: {aliases}.", ""]
    lines += [f"- {note}" for note in chip.notes]
    return "\n".join([*lines, "", sources_table(chip)])


def catalog_markdown(kind: str | None = None) -> str:
    """Every chip of the catalog (``kind="real"`` or ``"toy"`` to filter), one section each."""
    return "\n\n".join(chip_section(chip_id) for chip_id in list_chips(kind))
