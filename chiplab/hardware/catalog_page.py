"""The whole catalog as one Markdown document (the book's appendix): every chip, its notes and every number with
the figure as published, its source and the date it was read — generated from the data files, never retyped."""

from __future__ import annotations

from chiplab._checks import one_of
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.hardware.source_tables import sources_table


def chip_section(chip_id: str, level: int = 3) -> str:
    """One chip: a heading (``level`` #s), what kind of entry it is, its notes, and the table of sources."""
    chip = load_chip(chip_id)
    kind = "an invented teaching chip (toy)" if chip.kind == "toy" else f"{chip.vendor}, {chip.family} family"
    aliases = ", ".join(f"`{a}`" for a in chip.aliases) or "none"
    lines = [f"{'#' * level} {chip.display_name}", "", f"`load_chip({chip.id!r})` — {kind}; aliases: {aliases}.", ""]
    lines += [f"- {note}" for note in chip.notes]
    return "\n".join([*lines, "", sources_table(chip)])


def catalog_markdown(kind: str | None = None, vendor: str | None = None) -> str:
    """Every chip of the catalog (``kind="real"`` or ``"toy"``, and ``vendor``, e.g. ``"Google"``, filter). Real
    chips are grouped by vendor and family (a heading each, so the page's contents list finds a family), one section
    per chip. The book's appendix has one page per vendor, so that no page is a wall of tables.

    >>> catalog_markdown("real", vendor="AMD").splitlines()[0]
    '### AMD GPU'
    """
    chip_ids = list_chips(kind)
    if vendor is not None:
        vendors = {load_chip(chip_id).vendor.lower(): load_chip(chip_id).vendor for chip_id in chip_ids}
        vendor = vendors[one_of("vendor", vendor, sorted(vendors))]
        chip_ids = tuple(chip_id for chip_id in chip_ids if load_chip(chip_id).vendor == vendor)
    if kind == "toy":
        return "\n\n".join(chip_section(chip_id) for chip_id in chip_ids)
    families: dict[str, list[str]] = {}
    for chip_id in chip_ids:
        chip = load_chip(chip_id)
        families.setdefault(f"{chip.vendor} {chip.family}", []).append(chip_id)
    return "\n\n".join(f"### {family}\n\n" + "\n\n".join(chip_section(chip_id, level=4) for chip_id in members)
                       for family, members in sorted(families.items()))
