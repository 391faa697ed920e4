"""Issue 10, reproduction 10: explorers take the spellings the library takes and refuse, by name, what their
widgets cannot show (instead of an unnamed TraitError or a value silently clamped to the slider)."""

import re

import pytest

from chiplab.errors import ChiplabInputError

pytest.importorskip("ipywidgets")

from chiplab.explore import llm_explorer, memory_explorer, roofline_explorer, systolic_explorer


def _controls(widget):
    """Every widget inside a box, depth first."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _controls(child)
    return found


def test_spellings_the_library_accepts():
    assert any(getattr(c, "value", None) == "ws" for c in _controls(systolic_explorer(dataflow="WS")))
    assert any(getattr(c, "value", None) == "bf16" for c in _controls(roofline_explorer(dtype="BF16")))
    assert any(getattr(c, "value", None) == "bf16" for c in _controls(memory_explorer(dtype="BF16")))


def test_one_chip_name_is_one_chip():
    # Was: "unknown chip 'h'" (the string was iterated letter by letter).
    chips = next(c for c in _controls(roofline_explorer(chips="h100")) if getattr(c, "description", "") == "chips")
    assert chips.value == ("h100_sxm",)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: systolic_explorer(num_rows=1000), "num_rows must be between 1 and 256"),  # was shown as 256
    (lambda: systolic_explorer(m=0), "m must be a whole number >= 1; got 0"),
    (lambda: systolic_explorer(dataflow="rs"), "dataflow must be one of"),
    (lambda: roofline_explorer(chips="h10"), "unknown chip 'h10'"),
    (lambda: roofline_explorer(dtype="fp7"), "dtype must be one of"),
    (lambda: roofline_explorer(n=10**7), "n must be between 1 and 1,000,000"),
    (lambda: llm_explorer(mode="serving"), "mode must be one of training, prefill, decode; got 'serving'"),
    (lambda: llm_explorer(chip=3), "chip must be a chip id or alias such as 'trn2'; got 3"),
    (lambda: memory_explorer(k=2.5), "k must be a whole number >= 1; got 2.5"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ChiplabInputError, match=re.escape(message)):
        make()


def test_modes_accept_any_case():
    assert any(getattr(c, "value", None) == "decode" for c in _controls(llm_explorer(mode="Decode")))
