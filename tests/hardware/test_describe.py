"""Catalog tables for the book: every cell read from the catalog, unknowns shown as unknown, sources linked."""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import list_chips, load_chip
from chiplab.hardware.describe import (
    COLUMNS,
    capacity_table,
    chip_table,
    links_table,
    memory_table,
    peak_cell,
    peak_check_table,
    ridge_point,
    ridge_table,
    roles_table,
    unknowns_table,
    unpublished_fields,
)
from chiplab.hardware.source_tables import sources_table
from chiplab.units import format_rate

REAL = list_chips("real")


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_chip_table_has_a_row_per_chip_and_reads_the_catalog():
    table = chip_table(REAL, ["array", "matrix_clock", "peak_bf16"])
    rows = {row[0]: row[1:] for row in _rows(table)}
    assert len(rows) == len(REAL)
    assert rows["AWS Trainium2"] == ["128×128", "2.4 GHz", format_rate(632e12, "FLOP/s")]  # AWS-NKI-TRN2: 79 × 8
    assert rows["Google TPU v6e (Trillium)"][1] == "unpublished"  # Google publishes no clock
    assert rows["NVIDIA H100 SXM5 (80 GB)"][0] == "16×32 (equivalent)"  # tensor cores are not systolic arrays


def test_every_column_renders_for_every_chip():
    assert len(_rows(chip_table(list_chips(), list(COLUMNS)))) == len(list_chips())


def test_unknown_columns_are_refused():
    with pytest.raises(ChiplabInputError, match="field must be one of"):
        chip_table(["trn2"], ["colour"])
    with pytest.raises(ChiplabInputError, match="at least one chip"):
        chip_table([])


def test_peak_cell_says_where_a_peak_comes_from():
    assert peak_cell(load_chip("toy_4x4"), "int8").endswith("(from geometry)")
    assert peak_cell(load_chip("trainium2"), "fp32") == format_rate(160e12, "FLOP/s")  # AWS-NKI-TRN2: 20 × 8
    assert peak_cell(load_chip("tpu_v1"), "bf16") == "—"


def test_memory_tables_show_the_same_role_under_vendor_names():
    roles = {row[0]: row[1:] for row in _rows(roles_table(["trainium2", "tpu_v5e", "h100_sxm"]))}
    assert roles["AWS Trainium2"][2].startswith("SBUF (28 MiB per NeuronCore-v3")
    assert roles["Google TPU v5e"][2] == "VMEM (128 MiB)"  # one core: no "per core"
    assert roles["NVIDIA H100 SXM5 (80 GB)"][1].startswith("L2")
    levels = _rows(memory_table(["trainium2"]))
    assert [row[2] for row in levels] == ["HBM", "SBUF", "PSUM"]
    assert levels[1][4] == "unpublished"  # no source gives SBUF's bandwidth


def test_ridge_table_matches_the_chip_and_cites_sources():
    rows = {row[0]: row for row in _rows(ridge_table(REAL))}
    assert "Google TPU v1" not in rows  # no bf16 peak
    v5e = load_chip("tpu_v5e")
    assert rows["Google TPU v5e"][3] == f"{v5e.ridge_point_flops_per_byte('bf16'):.0f}"
    assert "docs/v5e" in rows["Google TPU v5e"][4]
    assert ridge_point(load_chip("tpu_v1"), "int8", "macs_per_byte") == pytest.approx(46e12 / 34e9, rel=0.01)
    with pytest.raises(ChiplabInputError, match="none of the chips has a fp4 peak"):
        ridge_table(["tpu_v2"], "fp4")


def test_peak_check_table_shows_documented_exceptions():
    rows = {row[0]: row for row in _rows(peak_check_table(["tpu_v5e", "trainium2", "tpu_v6e"]))}
    assert rows["Google TPU v5e"][4] == "yes" and rows["Google TPU v5e"][5] == "—"
    # Trainium2's peaks are what its Tensor Engines can issue (AWS-NKI-TRN2), so they now match the geometry.
    assert rows["AWS Trainium2"][4] == "yes"
    assert rows["Google TPU v6e (Trillium)"][2] == "cannot derive"


def test_unknowns_are_listed_not_zeroed():
    assert "matrix-unit clock" in unpublished_fields(load_chip("tpu_v6e"))
    assert "SBUF bandwidth" in unpublished_fields(load_chip("trainium2"))
    assert len(_rows(unknowns_table(REAL))) == len(REAL)


def test_links_and_sources():
    links = _rows(links_table(["tpu_v5e", "trainium2"]))
    assert [row[1] for row in links] == ["ICI", "NeuronLink-v3"]
    sources = _rows(sources_table("trainium2", ["memory.HBM"]))
    assert {row[0] for row in sources} == {"HBM capacity", "HBM bandwidth"}  # words, not catalog keys
    assert all(row[3].startswith("[AWS-") and "](https://" in row[3] for row in sources)
    with pytest.raises(ChiplabInputError, match="no provenance keys"):
        sources_table("trainium2", ["nonsense"])


def test_capacity_table_sums_over_cores():
    import dataclasses

    inf1 = load_chip("inferentia1")
    unsized = dataclasses.replace(inf1, id="inf1_unsized", memory_levels=(
        inf1.memory_levels[0], dataclasses.replace(inf1.memory_levels[1], capacity_bytes=None)))
    rows = {row[0]: row[1:] for row in _rows(capacity_table(["trainium2", "h100_sxm", "inferentia1", unsized]))}
    assert rows["AWS Trainium2"][1] == "224 MiB (SBUF)"  # 8 cores × 28 MiB
    assert rows["AWS Trainium2"][0] == "—"  # no shared level
    assert _rows(capacity_table([inf1]))[0][2] == "96 MiB (SRAM)"  # 4 cores × 24 MiB (assumed, issue 12)
    assert _rows(capacity_table([unsized]))[0][2] == "unpublished"
    assert rows["NVIDIA H100 SXM5 (80 GB)"][3].endswith("(Registers)")
