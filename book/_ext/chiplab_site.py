"""Sphinx additions for the chiplab website: it must work offline, with no console errors.

* The widget renderer, require.js and MathJax are served from ``_static/vendor/`` (fetched from npm by
  book/_vendor/fetch_assets.py; book/_config.yml points MyST-NB and Sphinx at them). A build without them would
  publish pages whose widgets and formulas never render offline, so it stops here with the command to run.
* Jupyter Book adds every .js file under _static/ to every page; the vendored files are loaded only where needed
  (MathJax by Sphinx, the widget scripts by MyST-NB on pages with widgets) and MathJax loads its own
  extensions on demand, so they are taken out of that list.
* Sphinx 7.4 writes inline scripts that an extension added after the builder started twice (its registry re-adds
  them with filename "" instead of None, which defeats its de-duplication); sphinx-thebe's configuration script is
  one, so every page threw "Identifier 'THEBE_JS_URL' has already been declared". Each page's scripts are
  de-duplicated here before the template writes them, and the theme's empty colour mode gets a value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

VENDOR_FILES = ("vendor/require.js", "vendor/html-manager/embed-amd.js", "vendor/mathjax/tex-chtml.js")


def _unlist_vendor(app, config) -> None:
    config.html_js_files = [
        entry for entry in config.html_js_files
        if not str(entry[0] if isinstance(entry, tuple) else entry).startswith("vendor/")
    ]


def _check_vendor(app) -> None:
    static = Path(app.srcdir) / "_static"
    missing = [name for name in VENDOR_FILES if not (static / name).is_file()]
    if missing:
        raise ExtensionError(
            f"the website's JavaScript is missing ({', '.join(missing)} under book/_static/): run "
            "`make install` or `python book/_vendor/fetch_assets.py` (needs npm once)"
        )


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""), attributes.get("body", ""))


def _page_context(app, pagename, templatename, context, doctree) -> None:
    # The theme writes its colour mode from `default_mode`, which Jupyter Book leaves empty; its script then logs
    # "Got invalid theme mode: ." on every page. "auto" follows the reader's system setting.
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _copy_widget_fonts(app, exception) -> None:
    """The widget renderer's CSS asks for its icon fonts at "@jupyter-widgets/html-manager/dist/<file>" relative to
    the page; put them there beside every page that shows widgets."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    fonts = sorted((out / "_static" / "vendor" / "html-manager").glob("*.woff*"))
    folders = {page.parent for page in out.rglob("*.html") if WIDGET_VIEW in page.read_text(encoding="utf-8")}
    for folder in folders:
        # Two of its style sheets resolve the same fonts one folder apart.
        for target in (folder / "@jupyter-widgets" / "html-manager" / "dist", folder / "@jupyter-widgets"):
            target.mkdir(parents=True, exist_ok=True)
            for font in fonts:
                shutil.copy2(font, target / font.name)


def setup(app):
    app.connect("config-inited", _unlist_vendor)
    app.connect("builder-inited", _check_vendor)
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _copy_widget_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
