"""The chiplab book, as the tests see it: its table of contents, its pages read as cells, and one build.

The book is built (and every notebook in it executed) exactly once per test session, by the ``book_build``
fixture, with the same command as CI and the GitHub Pages workflow::

    jupyter-book build -W -n --keep-going book/

The other book tests reuse that build: tests/book/test_notebooks.py reads the executed notebooks it leaves in
``_build/jupyter_execute``, and the browser tests serve its HTML (``book_site``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTER_DIR = "chapters"  # every page under book/chapters/ is a chapter page with the chapter structure
BUILD_TIMEOUT_S = 900
IGNORED_DIRS = {"_build", "_static", ".ipynb_checkpoints", "__pycache__"}


# ---------------------------------------------------------------------------------------------------------------
# The table of contents
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TocEntry:
    """One page listed in book/_toc.yml."""

    docname: str  # path relative to book/ without suffix, e.g. "chapters/03_systolic_arrays"
    path: Path  # the source file (.ipynb or .md)
    part: str | None  # caption of the part it is listed in; None for the root page

    @property
    def is_chapter(self) -> bool:
        return self.docname.startswith(CHAPTER_DIR + "/")

    @property
    def html_name(self) -> str:
        return self.docname + ".html"

    def __str__(self) -> str:
        return self.docname


def source_path(docname: str, book: Path = BOOK) -> Path:
    for suffix in (".ipynb", ".md"):
        candidate = book / (docname + suffix)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"_toc.yml lists {docname!r}, but neither {docname}.ipynb nor {docname}.md exists")


def toc_entries(book: Path = BOOK) -> list[TocEntry]:
    """Every page in _toc.yml, in reading order, the root first (``file:`` and ``glob:`` entries; not ``url:``)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    entries = [TocEntry(_docname(toc["root"]), source_path(_docname(toc["root"]), book), None)]

    def walk(items: list[dict], part: str | None) -> None:
        for item in items or []:
            if "file" in item:
                name = _docname(item["file"])
                entries.append(TocEntry(name, source_path(name, book), part))
            elif "glob" in item:
                for path in sorted(book.glob(item["glob"] + ".*")):
                    if path.suffix in (".md", ".ipynb"):
                        name = path.relative_to(book).with_suffix("").as_posix()
                        entries.append(TocEntry(name, path, part))
            walk(item.get("sections", []), part)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), part.get("caption"))
    walk(toc.get("chapters", []), None)
    return entries


def _docname(file: str) -> str:
    return re.sub(r"\.(md|ipynb)$", "", file.strip("/"))


def book_sources(book: Path = BOOK) -> list[Path]:
    """Every page source under book/ (.md and .ipynb), whether or not _toc.yml lists it."""
    return sorted(
        path
        for path in book.rglob("*")
        if path.suffix in (".md", ".ipynb") and not IGNORED_DIRS.intersection(path.relative_to(book).parts)
    )


# ---------------------------------------------------------------------------------------------------------------
# Pages as cells
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A markdown or code cell of a page: an .ipynb cell, or a stretch of a Markdown file."""

    kind: str  # "markdown" or "code"
    source: str
    where: str  # for messages: "book/intro.md:42" or "book/chapters/x.ipynb cell 7"
    first_line: int = 1  # line of `source`'s first line in the file (Markdown files), or 1
    metadata: dict = field(default_factory=dict, compare=False)

    def location(self, line_in_cell: int) -> str:
        """Where line ``line_in_cell`` (1-based) of this cell is, for a message."""
        if self.where.endswith(".md"):
            return f"{self.where}:{self.first_line + line_in_cell - 1}"
        return f"{self.where}, line {line_in_cell}"


def is_notebook(path: Path) -> bool:
    """An .ipynb, or a MyST Markdown notebook (front matter with ``file_format: mystnb`` or a kernelspec)."""
    if path.suffix == ".ipynb":
        return True
    front = _front_matter(path.read_text(encoding="utf-8"))
    return front.get("file_format") == "mystnb" or "kernelspec" in front


def _front_matter(text: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


CODE_CELL_DIRECTIVE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")


def read_cells(path: Path) -> list[Cell]:
    """The page as cells. Raw cells are dropped; a Markdown file's ``{code-cell}`` blocks are code cells."""
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    if path.suffix == ".ipynb":
        notebook = json.loads(path.read_text(encoding="utf-8"))
        return [
            Cell(cell["cell_type"], _joined(cell["source"]), f"{where} cell {number}", 1, cell.get("metadata", {}))
            for number, cell in enumerate(notebook["cells"], start=1)
            if cell["cell_type"] in ("markdown", "code")
        ]

    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    if lines and lines[0] == "---":  # front matter is configuration, not prose
        start = next((i + 1 for i in range(1, len(lines)) if lines[i] == "---"), 0)
    cells: list[Cell] = []
    chunk_start, i = start, start
    while i < len(lines):
        opening = CODE_CELL_DIRECTIVE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group(1)
        end = next((j for j in range(i + 1, len(lines)) if _closes(lines[j], fence)), len(lines))
        cells.append(Cell("markdown", "\n".join(lines[chunk_start:i]), where, chunk_start + 1))
        body, offset, options = _strip_cell_options(lines[i + 1 : end])
        cells.append(Cell("code", "\n".join(body), where, i + 2 + offset, options))
        chunk_start = i = end + 1
    cells.append(Cell("markdown", "\n".join(lines[chunk_start:]), where, chunk_start + 1))
    return [cell for cell in cells if cell.kind == "code" or cell.source.strip()]


def _joined(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}


def _strip_cell_options(body: list[str]) -> tuple[list[str], int, dict]:
    """Split a ``{code-cell}``'s option block (``:tags: [...]`` lines or a ``---`` YAML block) from its code."""
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), 0)
        return body[end + 1 :], end + 1, yaml.safe_load("\n".join(body[1:end])) or {}
    count = 0
    options: dict = {}
    while count < len(body) and re.match(r"^:[\w-]+:", body[count]):
        key, _, value = body[count][1:].partition(":")
        options[key] = yaml.safe_load(value) if value.strip() else None
        count += 1
    return body[count:], count, options


# Fences whose content is code or verbatim text, not prose. Every other directive ({figure}, {exercise},
# {admonition}, {glossary}, ...) holds Markdown that a reader sees, so it is checked like prose.
VERBATIM_DIRECTIVES = {"code-cell", "code-block", "code", "sourcecode", "literalinclude", "raw", "eval-rst",
                       "bibliography", "tableofcontents", "toc"}  # fmt: skip
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?(.*)$")


def prose_lines(cell: Cell) -> list[tuple[int, str]]:
    """``(line_in_cell, text)`` for the lines of a markdown cell a reader sees as text: code fences (and
    verbatim directives such as ``{code-block}``) are blanked; the prose inside other directives is kept."""
    result: list[tuple[int, str]] = []
    open_prose: list[str] = []  # fences of enclosing prose directives, innermost last
    verbatim: str | None = None
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if verbatim is not None:
            if _closes(line, verbatim):
                verbatim = None
            continue
        match = FENCE.match(line)
        if match:
            fence, _, directive, rest = match.groups()
            if directive is None and not rest.strip() and open_prose and _closes(line, open_prose[-1]):
                open_prose.pop()
                continue
            if fence[0] == ":" or (directive is not None and directive not in VERBATIM_DIRECTIVES):
                open_prose.append(fence)
                result.append((number, rest))  # a directive's argument is visible text (e.g. a title)
                continue
            verbatim = fence  # a code fence, with or without a language
            continue
        result.append((number, line))
    return result


def headings(cell: Cell) -> list[tuple[int, str, int]]:
    """``(level, title, line_in_cell)`` of the ATX headings (``## Title``) in a markdown cell's prose."""
    found = []
    for number, line in prose_lines(cell):
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            found.append((len(match.group(1)), match.group(2), number))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Building the book
# ---------------------------------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class BookBuild:
    """The result of one ``jupyter-book build`` of book/ into ``out_dir``."""

    source: Path
    out_dir: Path
    returncode: int
    seconds: float
    log: str = field(repr=False)  # stdout and stderr, ANSI colours removed

    @property
    def html_dir(self) -> Path:
        return self.out_dir / "_build" / "html"

    @property
    def executed_dir(self) -> Path:
        """MyST-NB writes every executed notebook here, outputs included (Markdown notebooks as .ipynb too)."""
        return self.out_dir / "_build" / "jupyter_execute"

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    def executed_notebook(self, docname: str) -> Path:
        return self.executed_dir / (docname + ".ipynb")

    def execution_seconds(self) -> dict[str, float]:
        """Seconds MyST-NB took to execute each notebook, keyed by source path relative to book/."""
        found = re.findall(r"^(.+?): Executed notebook in ([0-9.]+) seconds", self.log, re.MULTILINE)
        return {_relative(path, self.source): float(seconds) for path, seconds in found}

    def failed_notebook(self) -> str | None:
        """The notebook (relative to book/) whose execution stopped the build, if one did."""
        match = re.search(r"ExecutionError: (\S+)|^(\S+): WARNING: Executing notebook failed", self.log, re.MULTILINE)
        return _relative(match.group(1) or match.group(2), self.source) if match else None

    def problems(self) -> str:
        """The part of the log that explains a failure: warnings, errors and any failing cell with its error."""
        lines = self.log.splitlines()
        keep: list[str] = []
        for number, line in enumerate(lines):
            if "Kernel is running over TCP without encryption" in line:  # the kernel's own notice, always there
                continue
            if "error occurred while executing the following cell" in line:
                end = next((j for j in range(number, len(lines)) if lines[j].startswith("The above exception")), None)
                keep.extend(lines[number : min(end or len(lines), number + 80)])
            elif re.search(r"WARNING|ERROR|CRITICAL|Error:|Exception occurred", line):
                keep.append(line)
        if not keep:
            keep = lines[-40:]
        return "\n".join(dict.fromkeys(keep))  # de-duplicated, in order


def _relative(path: str, book: Path) -> str:
    try:
        return Path(path).resolve().relative_to(book.resolve()).as_posix()
    except ValueError:
        return path


def isolated_jupyter_env(home: Path) -> dict[str, str]:
    """Environment for Jupyter processes started by tests: fresh config, data, runtime and IPython dirs, so
    neither a user's settings nor a user-level "python3" kernelspec (pointing at another Python without
    chiplab) leaks in; the kernel is then this interpreter's own ipykernel."""
    env = dict(os.environ)
    for variable, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                           ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:  # fmt: skip
        (home / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(home / name)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.pop("MPLBACKEND", None)  # notebooks use the inline backend; a user's Agg/TkAgg setting would hide figures
    return env


def build_book(out_dir: Path, book: Path = BOOK, timeout_s: float = BUILD_TIMEOUT_S) -> BookBuild:
    """Build and execute the whole book into ``out_dir`` with the CI command; never raises on a failed build."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build", "-W", "-n", "--keep-going", "--path-output", str(out_dir), str(book),
    ]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=isolated_jupyter_env(out_dir / "jupyter-home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    seconds = time.perf_counter() - start
    return BookBuild(book, out_dir, result.returncode, seconds, ANSI.sub("", result.stdout))


@pytest.fixture(scope="session")
def book_build(tmp_path_factory, timings) -> BookBuild:
    """The whole book built once per session into a temporary directory (book/_build is left alone).

    Under pytest-xdist the workers share one build: the first builds it under a file lock, the others wait and
    reuse it (its result is saved next to it as JSON).
    """
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the base directory all workers of this run have in common
    out_dir, result = shared / "book", shared / "book-build.json"
    with open(shared / "book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result.exists():
            return BookBuild(**{**json.loads(result.read_text()), "source": BOOK, "out_dir": out_dir})
        build = build_book(out_dir)
        fields = {"returncode": build.returncode, "seconds": build.seconds, "log": build.log}
        result.write_text(json.dumps(fields))
    timings["book build (jupyter-book build -W -n --keep-going, every notebook executed)"] = build.seconds
    for source, seconds in build.execution_seconds().items():
        timings[f"  executing {source}"] = seconds
    return build


@pytest.fixture(scope="session")
def book_site(book_build) -> Iterator[str]:
    """Base URL (ending in "/") of the built book served on 127.0.0.1 for the session."""
    from browser import serve_directory

    if not book_build.succeeded:
        pytest.fail("the book did not build, so its site cannot be tested; see test_book_builds", pytrace=False)
    with serve_directory(book_build.html_dir) as base_url:
        yield base_url
