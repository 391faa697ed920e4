"""No cent-precise price from the model anywhere (issue 13, part 4): on every page that draws a cost conclusion, each
dollar amount glued into the prose has at most two significant figures — a range where the model's error bands
exist — unless it is a price read from chiplab's sourced data (listed below with where it comes from).

The amounts are read from the executed notebooks of the session's book build (tests/conftest_book.py): the glue
values MyST-NB stores as ``application/papermill.record/text/plain`` outputs, i.e. exactly what the pages show.
"""

import json
import re
from pathlib import Path

import pytest

# Pages with break-even prices, price-performance conclusions or the validation behind them.
PAGES = ("chapters/economics", "chapters/why_custom_silicon", "chapters/how_good_is_this_model")
MAX_SIGNIFICANT_FIGURES = 2

# Glued amounts that are prices from chiplab/data (a sourced offer, a published bill of materials, a sourced capex)
# or plain arithmetic on one, not outputs of the performance, silicon or owner models: they keep their precision.
SOURCED = {
    "econ_h200_price": "AWS p5e capacity-block price (chiplab/data/prices)",
    "econ_h100_price": "AWS p5 on-demand price (chiplab/data/prices)",
    "econ_cloud": "the same on-demand price per useful hour at full utilisation",
    "econ_capex": "sourced server share per H100 (chiplab/data/prices)",
    "econ_analyst_die": "analyst's logic-die cost (chiplab/data/silicon)",
    "econ_bom": "analyst's bill of materials (chiplab/data/silicon)",
    "econ_sell": "analyst's selling price (chiplab/data/silicon)",
    "econ_mask": "Hennessy & Patterson's mask-set cost (chiplab/data/silicon)",
    "wcs_h200_price": "AWS p5e capacity-block price (chiplab/data/prices)",
    "wcs_ex_price_40": "the sourced H200 price divided by 1.4 (exercise arithmetic, no model speed)",
}

_AMOUNT = re.compile(r"\$\s?([0-9][0-9,]*(?:\.[0-9]+)?)")


def significant_figures(amount: str) -> int:
    """Significant figures of a written amount: '3.50' has 3 (a written trailing zero after the point counts),
    '28,000' has 2, '0.71' has 2."""
    digits = amount.replace(",", "")
    if "." in digits:
        return len(digits.replace(".", "").lstrip("0"))
    return len(digits.lstrip("0").rstrip("0")) or 1


def glued_values(notebook: Path) -> dict[str, str]:
    """Every glue value of an executed notebook, by name, as the page shows it. A MyST-NB build moves the values out
    of the notebook into ``<page>.glue.json`` beside it (keyed by name, plain ``text/plain`` data); a notebook
    executed on its own keeps them as outputs with papermill's mime prefix. Both are read."""
    records = []
    glue_file = notebook.with_suffix(".glue.json")
    if glue_file.is_file():
        records += json.loads(glue_file.read_text(encoding="utf-8")).values()
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        records += cell.get("outputs", [])
    found = {}
    for output in records:
        record = output.get("metadata", {}).get("scrapbook")
        if record:
            data = output.get("data", {})
            found[record["name"]] = data.get(record["mime_prefix"] + "text/plain", data.get("text/plain", ""))
    return found


def too_precise(values: dict[str, str]) -> list[str]:
    """'name: value' for each glued value with a dollar amount of more than two significant figures."""
    return [f"{name}: {value}" for name, value in values.items() if name not in SOURCED
            and any(significant_figures(amount) > MAX_SIGNIFICANT_FIGURES for amount in _AMOUNT.findall(value))]


@pytest.mark.parametrize(("amount", "expected"), [("3.50", 3), ("28,000", 2), ("0.71", 2), ("2", 1), ("1,234", 4),
                                                  ("3.5", 2), ("10,000", 1), ("0.042", 2)])
def test_significant_figures_by_hand(amount, expected):
    assert significant_figures(amount) == expected


def test_the_check_catches_a_cent_precise_price():
    assert too_precise({"x": "'$1.2–$3.2'", "y": "'$2.63'", "econ_h200_price": "'$5.41'"}) == ["y: '$2.63'"]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_model_prices_have_two_significant_figures(book_build, page):
    notebook = book_build.executed_notebook(page)
    if not notebook.is_file():
        pytest.fail(f"{page} was not executed in the book build (see test_notebooks)", pytrace=False)
    values = glued_values(notebook)
    assert values, f"{page} glues no values: the check would prove nothing"
    assert not too_precise(values), f"{page}: model-derived prices to more than two significant figures"
