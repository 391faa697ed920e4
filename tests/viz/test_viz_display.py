"""accessible(): a figure becomes an <img> of an SVG whose labels are text (measurable, sharp) with its alt text."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt

from chiplab.viz import accessible
from chiplab.viz.style import FONT_SIZE, set_alt_text


def test_accessible_figure_is_svg_with_text_and_alt():
    _, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot([1, 2, 3], [1, 4, 9])
    ax.set_xlabel("bytes moved")
    set_alt_text(ax, "A rising line.")
    figure = accessible(ax)
    page = figure._repr_html_()
    assert 'alt="A rising line."' in page
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)).decode()
    root = ET.fromstring(svg)
    texts = [element for element in root.iter() if element.tag.endswith("}text")]
    # The label is a <text> element (not glyph paths), so a browser can measure it.
    assert any("bytes moved" in "".join(element.itertext()) for element in texts)
    sizes = [float(size) for element in texts
             for size in re.findall(r"font(?:-size)?:[^;]*?([0-9.]+)px", element.get("style", ""))]
    # matplotlib writes sizes in px of the SVG's own coordinate system (1 pt = 1 px there; width is given in pt).
    assert sizes and min(sizes) >= FONT_SIZE - 1
    assert root.get("width").endswith("pt")
    assert not plt.get_fignums(), "accessible closes the figure so the notebook does not show it twice"


def test_a_figure_wider_than_the_column_is_narrowed_not_shrunk():
    """A wide figure shown in the book would be scaled down with its text; accessible() narrows it instead."""
    from chiplab.viz.display import COLUMN_WIDTH_IN

    _, ax = plt.subplots(figsize=(11.0, 4.0))
    ax.plot([0, 1], [0, 1])
    svg = accessible(ax).svg
    width_pt = float(ET.fromstring(svg).get("width").removesuffix("pt"))
    assert width_pt <= COLUMN_WIDTH_IN * 72 + 1
