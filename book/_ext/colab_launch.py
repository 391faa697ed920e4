"""A Colab button that opens a notebook, for pages written as MyST Markdown.

Colab opens notebooks from GitHub by URL (``colab.research.google.com/github/<org>/<repo>/blob/<branch>/<path>``)
and reads only ``.ipynb`` files. Jupyter Book 1 builds its Colab button from the page's own path, so for a
``.md`` page it points Colab at the Markdown file, which Colab cannot open. The repository keeps no ``.ipynb``
copies (the ``.md`` is the single source of truth), so:

* ``python book/_ext/colab_launch.py OUT`` converts every page with code to an unexecuted ``.ipynb`` under
  ``OUT/book/...`` (jupytext, the same conversion JupyterLab applies when it opens a page). The book workflow
  (.github/workflows/book.yml) runs it on every push to main and publishes the result as the branch named by
  ``chiplab_colab_branch`` in book/_config.yml. Each notebook's first cell installs chiplab when it is missing,
  so a notebook opened on Colab runs on its own.
* At build time, the Colab button of every page is pointed at that notebook on that branch (this handler runs
  after the theme has built its launch buttons).
"""

from __future__ import annotations

import sys
from pathlib import Path

COLAB_PREFIX = "https://colab.research.google.com/github/"


def colab_url(org: str, repo: str, branch: str, path_in_repo: str) -> str:
    """Where Colab opens ``path_in_repo`` (a .md page: its .ipynb twin) from ``branch`` of ``org/repo``."""
    notebook = str(Path(path_in_repo).with_suffix(".ipynb"))
    return f"{COLAB_PREFIX}{org}/{repo}/blob/{branch}/{notebook}"


def _colab_buttons(buttons: list) -> list[dict]:
    found = []
    for button in buttons or []:
        if isinstance(button, dict):
            if button.get("text") == "Colab":
                found.append(button)
            found.extend(_colab_buttons(button.get("buttons", [])))
    return found


def installs_chiplab(page_text: str) -> bool:
    """Whether a page's code installs chiplab when it is missing (the first cell of every chapter does)."""
    return 'find_spec("chiplab") is None' in page_text and "pip" in page_text


def _drop(buttons: list, unwanted: list[dict]) -> None:
    buttons[:] = [button for button in buttons if not any(button is other for other in unwanted)]
    for button in buttons:
        if isinstance(button, dict):
            _drop(button.get("buttons", []), unwanted)


def _point_colab_at_notebooks(app, pagename, templatename, context, doctree) -> None:
    buttons = _colab_buttons(context.get("header_buttons", []))
    if not buttons:
        return
    source_path = Path(app.env.doc2path(pagename))
    if not installs_chiplab(source_path.read_text(encoding="utf-8")):
        _drop(context["header_buttons"], buttons)  # on Colab it could not import chiplab: Binder only
        return
    theme = app.config.html_theme_options
    org, repo = theme["repository_url"].rstrip("/").split("/")[-2:]
    book = theme.get("path_to_docs", "").strip("/")
    source = source_path.relative_to(app.srcdir).as_posix()
    url = colab_url(org, repo, app.config.chiplab_colab_branch, f"{book}/{source}" if book else source)
    for button in buttons:
        button["url"] = url


def convert(book: Path, out: Path) -> list[Path]:
    """Write an unexecuted .ipynb twin of every MyST Markdown notebook under ``book`` to ``out/<book's path>``."""
    import jupytext

    root = book.resolve().parent
    written = []
    for page in sorted(book.rglob("*.md")):
        if {"_build", "_static", ".ipynb_checkpoints"} & set(page.parts):
            continue
        text = page.read_text(encoding="utf-8")
        front_matter = text.split("---", 2)[1] if text.startswith("---") else ""
        if "format_name: myst" not in front_matter:
            continue  # plain Markdown, not a notebook page
        notebook = jupytext.reads(text, fmt="md:myst")
        notebook.metadata.pop("jupytext", None)  # a plain notebook on Colab, not a paired one
        target = out / page.resolve().relative_to(root).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, target, fmt="ipynb")
        written.append(target)
    return written


def setup(app):
    app.add_config_value("chiplab_colab_branch", "colab", "html")
    # After sphinx-book-theme's add_launch_buttons (default priority 500).
    app.connect("html-page-context", _point_colab_at_notebooks, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python book/_ext/colab_launch.py OUT_DIR  (writes OUT_DIR/book/**/*.ipynb)")
    for path in convert(Path(__file__).resolve().parents[1], Path(sys.argv[1])):
        print(path)
