"""Every source link in the catalog appendix is a web address the book's build accepts (book/_config.yml:
myst_url_schemes http, https, mailto); a DOI written as "doi:…" in a data file becomes its https://doi.org/ link."""

from __future__ import annotations

import re

import pytest

from chiplab.hardware.catalog_page import catalog_markdown
from chiplab.hardware.source_tables import _web_address

_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")


def test_doi_becomes_the_resolver_link():
    assert _web_address("doi:10.1109/ISCA52012.2021.00010") == "https://doi.org/10.1109/ISCA52012.2021.00010"
    assert _web_address("https://example.com/a") == "https://example.com/a"


@pytest.mark.parametrize("kind", ["real", "toy", "baseline"])
def test_catalog_pages_link_only_web_addresses(kind):
    targets = _LINK_TARGET.findall(catalog_markdown(kind))
    assert targets, f"no source links in the {kind} catalog"
    bad = sorted({target for target in targets if not target.startswith(("https://", "http://", "mailto:", "#"))})
    assert not bad, f"links the book's build rejects (myst.xref_missing): {bad}"
