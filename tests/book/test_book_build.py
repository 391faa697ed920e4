"""The book builds, and its pages keep the house rules.

* ``test_book_builds``: the whole book, every notebook executed, built with the CI command
  ``jupyter-book build -W -n --keep-going book/`` (any failing cell, warning or broken reference fails it).
  The build happens once per session (fixture ``book_build`` in tests/conftest_book.py) and is reused by the
  notebook and browser tests. Its time is printed in the "chiplab timings" summary.
* Source checks that need no build (they run first and fast): no hand-typed hardware numbers in prose, the
  chapter structure, no def/class/loops in code cells, alt text on every image.
* Checks of the rendered HTML: alt text on every figure (including executed plots), launch buttons.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest_book import (
    BOOK,
    ROOT,
    Cell,
    book_sources,
    headings,
    is_notebook,
    prose_lines,
    read_cells,
    toc_entries,
)

PAGES = toc_entries()
CHAPTERS = [entry for entry in PAGES if entry.is_chapter]
SOURCES = book_sources()


def _ids(items) -> list[str] | None:
    return [str(item.relative_to(BOOK)) if isinstance(item, Path) else str(item) for item in items] or None


def _no_pages(what: str):
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"the book has no {what} yet"))]


# ---------------------------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_book_builds(book_build):
    print(f"\nbook built in {book_build.seconds:.1f} s into {book_build.html_dir}")
    if not book_build.succeeded:
        pytest.fail(
            f"`jupyter-book build -W -n --keep-going book/` failed (exit {book_build.returncode}) after "
            f"{book_build.seconds:.0f} s:\n{book_build.problems()}",
            pytrace=False,
        )
    missing = [entry.html_name for entry in PAGES if not (book_build.html_dir / entry.html_name).is_file()]
    assert not missing, f"pages in _toc.yml that were not rendered: {missing}"


# ---------------------------------------------------------------------------------------------------------------
# Page format: MyST Markdown notebooks, the calculation visible and the bookkeeping hidden
# ---------------------------------------------------------------------------------------------------------------


def test_pages_are_myst_markdown_notebooks():
    """The .md page is the single source of truth (a prose change is a readable diff): no .ipynb copies, and
    every page with code declares jupytext's MyST format, which both Jupyter Book and JupyterLab (jupytext) read."""
    notebooks = [path for path in BOOK.rglob("*.ipynb") if not {"_build", ".ipynb_checkpoints"} & set(path.parts)]
    assert not notebooks, f"book pages are MyST Markdown (.md), not .ipynb: {notebooks}"
    for path in SOURCES:
        cells = read_cells(path)
        if not any(cell.kind == "code" for cell in cells):
            continue
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        fmt = (front.get("jupytext") or {}).get("text_representation", {}).get("format_name")
        assert fmt == "myst" and front.get("kernelspec", {}).get("name") == "python3", (
            f"{path.relative_to(ROOT)}: front matter needs jupytext text_representation format_name: myst and "
            "kernelspec name: python3 (copy it from any chapter)"
        )


GLUE_CHECKED = [path for path in SOURCES if path != BOOK / "intro.md"]


@pytest.mark.parametrize("path", GLUE_CHECKED, ids=_ids(GLUE_CHECKED))
def test_glue_calls_sit_in_removed_cells(path):
    """Readers see the calculation, not the bookkeeping: ``glue(..., display=False)`` lines go in a cell of their
    own tagged ``remove-cell``, right after the calculation (the preface shows one glue cell on purpose)."""
    visible = [
        cell.location(number)
        for cell in read_cells(path)
        if cell.kind == "code" and "remove-cell" not in (cell.metadata.get("tags") or [])
        for number, line in enumerate(cell.source.splitlines(), start=1)
        if line.startswith("glue(") and "display=False" in cell.source
    ]
    assert not visible, "glue(...) in a visible code cell (move it to a remove-cell cell below): " + ", ".join(visible)


# ---------------------------------------------------------------------------------------------------------------
# The glossary is complete
# ---------------------------------------------------------------------------------------------------------------

GLOSSARY = BOOK / "glossary.md"
# Terms a reader of chapters 5-8 meets (issue 16: the glossary covered chapters 2-5 only).
REQUIRED_TERMS = ["KV cache", "Prefill", "Decode", "HFU", "MFU", "All-reduce", "Tensor parallelism",
                  "Pipeline parallelism", "Data parallelism", "Bubble", "ZeRO", "Scale-up domain", "Capacity block",
                  "Break-even price", "PUE", "Yield", "Margin", "Roofline", "Ridge point"]  # fmt: skip
# Bold spans in chapters that are labels or emphasis, not new terms; any other bold span of one to three words must
# be a glossary entry, so a new term introduced in bold cannot miss the glossary.
NOT_TERMS = {
    "per chip", "per joule", "per dollar",  # the three ways of comparing chips (economics, chapter 1)
    "the weight gemms", "the attention gemms", "everything else", "training", "decoding attention",  # list heads
    "off-chip", "shared", "register",  # memory roles, defined in the chapter's list and under Scratchpad
    "naive", "tiled", "double-buffered",  # the kernel variants of 'Programming the chip'
}


def glossary_terms() -> set[str]:
    text = GLOSSARY.read_text(encoding="utf-8")
    block = text[text.index(":::{glossary}") :]
    return {line.strip().lower() for line in block.splitlines()[1:]
            if line.strip() and not line.startswith((" ", ":"))}


def test_glossary_has_the_terms_of_every_chapter():
    missing = [term for term in REQUIRED_TERMS if term.lower() not in glossary_terms()]
    assert not missing, f"book/glossary.md has no entry for: {missing}"


@pytest.mark.parametrize("entry", CHAPTERS, ids=_ids(CHAPTERS))
def test_bold_terms_are_in_the_glossary(entry):
    terms = glossary_terms()
    missing = []
    for cell in read_cells(entry.path):
        if cell.kind != "markdown":
            continue
        for number, line in prose_lines(cell):
            for match in re.finditer(r"\*\*([^*]+)\*\*", line):
                phrase = match.group(1).strip()
                if len(phrase.split()) > 3 or re.search(r"[\d.?!:]", phrase) or phrase.lower() in NOT_TERMS:
                    continue
                if not {phrase.lower(), phrase.lower().removesuffix("s")} & terms:
                    missing.append(f"{cell.location(number)}: **{phrase}**")
    assert not missing, ("terms introduced in bold with no glossary entry (add one to book/glossary.md, or add the "
                         "phrase to NOT_TERMS if it is emphasis):\n" + "\n".join(missing))


# ---------------------------------------------------------------------------------------------------------------
# No hand-typed hardware numbers
# ---------------------------------------------------------------------------------------------------------------

# A number: 819, 1,024, 3.35, 1.6e12, 2×10^15, 2 \times 10^{15}.
_NUMBER = r"(?<![\w.])\d+(?:[,\u202f\u2009]\d{3})*(?:\.\d+)?(?:\s*(?:[x×]|\\times)\s*10\^?\{?[-−]?\d+\}?|[eE][+-]?\d+)?"
# What may stand between a number and its unit: spaces (also non-breaking/thin and LaTeX's), a hyphen as in
# "a 16-GiB stack", or the start of \mathrm{...} in math.
_GAP = r"(?:[\s\u00a0\u202f\u2009~-]|\\[,;: !])*(?:\\(?:mathrm|text|textrm|mathsf|rm)\s*\{\s*)?"
# Hardware units. Case matters: "FLOPs" (a count, "two FLOPs per MAC") is not a rate; "FLOPS" and "FLOP/s" are.
_UNIT = (
    r"(?:[kKMGTPE]?FLOPS\b|[kKMGTPE]?FLOPs?\s*/\s*s|[kKMGTPE]?flops?/s|[kMGTP]?OPS\b|[kMGTP]?OPs?/s"
    r"|(?:giga|tera|peta|exa)(?:flops|ops)\b"
    r"|[kKMGTPE]i?B(?:\s*/\s*s|ps)?\b|B/s|bytes?/s|[kMGT]b(?:it)?/s|[kMGT]bps\b"
    r"|(?:kilo|mega|giga|tera|peta|kibi|mebi|gibi|tebi)bytes?\b"
    r"|[kMG]?W\b|(?:kilo|mega)?watts?\b|[kMGT]Hz\b|(?:kilo|mega|giga)hertz\b"
    r"|[pnfµu]J\b|(?:pico|nano|femto)joules?\b|nm\b|mm(?:²|\^2|2)\b"
    r"|(?:\\?\$|USD|dollars?)\s*(?:/|per|an?)\s*(?:[\w-]+[- ])?(?:hr|hour|h)\b)"
)
_TYPED_UNIT = re.compile(_NUMBER + _GAP + _UNIT)
_TYPED_WORD_UNIT = re.compile(_NUMBER + _GAP + r"(?:teraflops|petaflops|gigabytes|terabytes|watts)\b", re.IGNORECASE)
# Prices: $2.50/hr, \$4 per chip-hour, $1.20 an hour.
_TYPED_PRICE = re.compile(r"\\?\$\s?\d[\d,]*(?:\.\d+)?\s*(?:/|per|an?|each)\s*(?:[\w-]+[- ])?(?:hr|hour|h)\b")

ALLOW_MARKER = re.compile(r"<!--\s*typed-number-ok:(.*?)-->", re.DOTALL)


def find_typed_numbers(text: str) -> list[str]:
    """Hardware figures typed into a line of prose (inline code, roles, URLs and comments already removed)."""
    found = [m.group(0) for pattern in (_TYPED_UNIT, _TYPED_WORD_UNIT, _TYPED_PRICE) for m in pattern.finditer(text)]
    return sorted(set(found), key=text.find)


def _visible_text(line: str) -> str:
    """What a reader sees of a prose line, minus what cannot be a typed number: inline code and role content
    ({glue:text}`key:.1f`, {cite}`key`), link targets, bare URLs and directive options that are identifiers."""
    line = re.sub(r"(`+)(.+?)\1", " ", line)
    line = re.sub(r"\]\([^)]*\)", "]", line)
    line = re.sub(r"<https?://[^>]*>|https?://\S+", " ", line)
    return re.sub(r"^\s*:(name|label|class|target|width|height|scale|align|figwidth|figclass):.*$", " ", line)


def typed_number_problems(cell: Cell) -> list[str]:
    """Typed hardware numbers in a markdown cell, except on lines an allow-list marker covers.

    ``<!-- typed-number-ok: why -->`` covers the paragraph it is in, or, alone in its paragraph, the next one.
    The reason is required, so that each exception is visible in review.
    """
    lines = dict(prose_lines(cell))
    text = "\n".join(lines.get(number, "") for number in range(1, max(lines, default=0) + 1))
    problems: list[str] = []
    covered: set[int] = set()
    numbered = text.split("\n")
    for marker in ALLOW_MARKER.finditer(text):
        line = text.count("\n", 0, marker.start()) + 1
        if len(marker.group(1).strip()) < 3:
            problems.append(f"{cell.location(line)}: typed-number-ok marker without a reason")
        first = line
        while first > 1 and numbered[first - 2].strip():  # back to the start of the paragraph
            first -= 1
        last, seen_content = line, bool(ALLOW_MARKER.sub("", numbered[line - 1]).strip())
        while last < len(numbered) and (numbered[last].strip() or not seen_content):
            seen_content = seen_content or bool(numbered[last].strip())
            last += 1
        covered.update(range(first, last + 1))
    # Blank out comments (keeping line numbers) before looking for numbers.
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    for number, line in enumerate(text.split("\n"), start=1):
        if number in covered:
            continue
        for figure in find_typed_numbers(_visible_text(line)):
            problems.append(f"{cell.location(number)}: {figure!r} typed by hand")
    return problems


@pytest.mark.parametrize(
    "text",
    [
        "The chip reads HBM at 819 GB/s.",
        "a peak of 197 TFLOPS in bf16",
        "two stacks of 16 GiB",
        "a 16-GiB stack",
        "3.35 TB/s",
        "1.6e12 B/s of bandwidth",
        "clocked at 940 MHz",
        "draws 170 W at peak",
        "costs $1.20/hr on demand",
        r"costs \$4.00 per chip-hour",
        "costs $2 an hour",
        r"$918\,\mathrm{TFLOPS}$",
        r"$2 \times 10^{15}\ \text{FLOP/s}$",
        "24 MiB of SBUF",
        "1,024 GB",
        "0.9 pJ per MAC",
        "built in a 5 nm process",
        "2 PFLOP/s",
        "459 TOPS of int8",
        "2.5 USD/hour",
        "400 teraflops",
    ],
)
def test_typed_number_detector_flags(text):
    assert find_typed_numbers(_visible_text(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "a 4×4 toy array",
        "a 128 × 128 systolic array",
        "TPU v5e and Trainium2",
        "needs Python 3.11",
        "the claimed 40% saving",
        "bf16 and int8 TOPS",
        "a peak of {glue:text}`peak_flops_per_s:.3g` FLOP/s",
        "`SystolicArraySpec(num_rows=128, num_cols=128)`",
        "see [the spec](https://example.com/819GBs) for details",
        "chapter 3, section 2",
        "a MAC is 2 FLOPs",
        "the weight matrix W",
        "m = 1024 rows",
        ":name: fig-16gib",
    ],
)
def test_typed_number_detector_ignores(text):
    assert not find_typed_numbers(_visible_text(text)), text


def test_typed_number_allow_marker_needs_a_reason_and_covers_its_paragraph():
    cell = Cell(
        "markdown", "A 4 W toy <!-- typed-number-ok: invented toy chip -->\nstill 2 W here\n\nbut 3 W here", "x"
    )
    assert [problem.split(": ", 1)[1] for problem in typed_number_problems(cell)] == ["'3 W' typed by hand"]
    above = Cell("markdown", "<!-- typed-number-ok: quoted from the seed article -->\n\n1 GHz and 2 GHz\n\n4 GHz", "x")
    assert len(typed_number_problems(above)) == 1
    empty = Cell("markdown", "A 4 W toy <!-- typed-number-ok: -->", "x")
    assert any("without a reason" in problem for problem in typed_number_problems(empty))


def test_code_fences_are_not_prose():
    text = "prose 819 GB/s\n```python\nbw = 819  # GB/s\n```\n````{exercise}\n7 W\n```\n9 W\n```\n````\n1 GHz"
    found = [problem.split(": ", 1)[1] for problem in typed_number_problems(Cell("markdown", text, "x"))]
    assert found == ["'819 GB/s' typed by hand", "'7 W' typed by hand", "'1 GHz' typed by hand"]


@pytest.mark.parametrize("path", SOURCES or _no_pages("pages"), ids=_ids(SOURCES))
def test_no_hand_typed_hardware_numbers(path):
    """Numbers in prose come from executed cells (MyST-NB glue: ``{glue:text}`key:.1f```), never typed."""
    problems = [
        problem for cell in read_cells(path) if cell.kind == "markdown" for problem in typed_number_problems(cell)
    ]
    assert not problems, (
        "hardware figures typed into prose drift from the model; compute them in a code cell, "
        "`glue('name', value, display=False)`, and write {glue:text}`name:,.0f`. For a deliberate exception add "
        "<!-- typed-number-ok: reason --> to the paragraph:\n" + "\n".join(problems)
    )


# ---------------------------------------------------------------------------------------------------------------
# Page structure
# ---------------------------------------------------------------------------------------------------------------

REQUIRED_CHAPTER_HEADINGS = ["Learning objectives", "Check your understanding", "Further reading"]


def _normalised(title: str) -> str:
    return re.sub(r"[^a-z ]", "", title.lower()).strip()


def chapter_structure_problems(path: Path) -> list[str]:
    cells = [cell for cell in read_cells(path) if cell.kind == "markdown"]
    found = [(level, title, cell.location(line)) for cell in cells for level, title, line in headings(cell)]
    problems = []
    titles = [level for level, _, _ in found if level == 1]
    if len(titles) != 1 or found[0][0] != 1:
        problems.append(f"a chapter has exactly one '# Title', before any other heading (found {len(titles)})")
    positions = []
    for required in REQUIRED_CHAPTER_HEADINGS:
        matches = [i for i, (_, title, _) in enumerate(found) if _normalised(title) == _normalised(required)]
        if not matches:
            problems.append(f"missing the heading {required!r}")
        else:
            positions.append(matches[0])
    if len(positions) == len(REQUIRED_CHAPTER_HEADINGS) and positions != sorted(positions):
        problems.append(f"headings out of order; expected {REQUIRED_CHAPTER_HEADINGS}")

    text = "\n".join(cell.source for cell in cells)
    section = re.search(r"^(#{1,6})\s+Check your understanding\s*$(.*?)(?=^#{1,6}\s|\Z)", text, re.M | re.S | re.I)
    if section and not re.search(r"\{(solution|solution-start|dropdown)\}|:class:.*dropdown", section.group(2)):
        problems.append("'Check your understanding' has no answers in dropdowns ({solution} with :class: dropdown)")
    for solution in re.finditer(r"^\s*(`{3,}|:{3,})\{solution(?:-start)?\}.*\n((?:\s*:[\w-]+:.*\n)*)", text, re.M):
        if not re.search(r":class:.*\bdropdown\b", solution.group(2)):
            problems.append(f"a {{solution}} without ':class: dropdown' shows its answer: {solution.group(0)!r}")
    return problems


@pytest.mark.parametrize("entry", CHAPTERS or _no_pages("chapters"), ids=_ids(CHAPTERS))
def test_chapter_structure(entry):
    """Chapter pages (book/chapters/): learning objectives → ... → check your understanding (answers in
    dropdowns) → further reading. The preface and appendices are free-form."""
    problems = chapter_structure_problems(entry.path)
    assert not problems, f"{entry.path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_preface_map_links_every_chapter():
    preface = PAGES[0].path.read_text(encoding="utf-8")
    missing = [entry.docname for entry in CHAPTERS if entry.docname not in preface]
    assert not missing, f"the preface's 'A map of the book' has no {{doc}} link to: {missing}"


def test_chapter_pages_are_in_the_chapters_folder():
    """The tests know chapter pages by their folder, book/chapters/; every page outside the root and the
    Appendices part must live there, or it would escape the chapter checks."""
    outside = [
        entry.docname for entry in PAGES[1:] if not entry.is_chapter and "appendi" not in (entry.part or "").lower()
    ]
    assert not outside, f"pages outside the Appendices part must live in book/chapters/: {outside}"


FORBIDDEN = {
    ast.FunctionDef: "def", ast.AsyncFunctionDef: "def", ast.ClassDef: "class", ast.For: "for loop",
    ast.AsyncFor: "for loop", ast.While: "while loop", ast.comprehension: "comprehension (a for loop)",
    ast.Lambda: "lambda",
}  # fmt: skip


def forbidden_constructs(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for each def, class, loop, comprehension or lambda in a code cell (IPython syntax ok)."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(python)
    except SyntaxError as error:
        return [(error.lineno or 0, f"syntax error: {error.msg}")]
    found = [node for node in ast.walk(tree) if type(node) in FORBIDDEN]
    # a comprehension node has no line of its own; its loop target has
    return sorted((getattr(node, "lineno", None) or node.target.lineno, FORBIDDEN[type(node)]) for node in found)


def test_forbidden_construct_detector():
    assert forbidden_constructs("%matplotlib inline\nx = estimate(g, a)\nx.total_cycles") == []
    assert [what for _, what in forbidden_constructs("def f():\n    pass\n[i for i in x]\nwhile 0: pass")] == [
        "def",
        "comprehension (a for loop)",
        "while loop",
    ]


@pytest.mark.parametrize("path", SOURCES or _no_pages("pages"), ids=_ids(SOURCES))
def test_code_cells_only_call_the_library(path):
    """Book pages explain; the library computes. No def, class, loops (comprehensions included) or lambdas."""
    problems = [
        f"{cell.location(line)}: {what}"
        for cell in read_cells(path)
        if cell.kind == "code"
        for line, what in forbidden_constructs(cell.source)
    ]
    assert not problems, "move this logic into chiplab/ and call it from the page:\n" + "\n".join(problems)


def missing_alt_text(cell: Cell) -> list[str]:
    """Images in Markdown without alt text: ![](x), <img> without alt, {figure}/{image}/{glue:figure} without
    :alt:. (Images produced by code cells are checked in the rendered HTML, test_rendered_images_have_alt_text.)"""
    problems = []
    lines = prose_lines(cell)
    for number, line in lines:
        for match in re.finditer(r"!\[([^\]]*)\]\(([^)]*)\)", line):
            if not match.group(1).strip():
                problems.append(f"{cell.location(number)}: ![]({match.group(2)}) has no alt text")
        for tag in re.findall(r"<img\b[^>]*>", line, re.I):
            if not re.search(r"\balt\s*=\s*(\"[^\"]+\"|'[^']+')", tag, re.I):
                problems.append(f"{cell.location(number)}: {tag} has no alt text")
    source = cell.source.splitlines()
    for number, line in enumerate(source, start=1):
        if re.match(r"^\s*(`{3,}|:{3,})\{(figure|image|glue:figure|figure-md)\}", line):
            options = []
            for following in source[number:]:
                if not re.match(r"^\s*:[\w-]+:", following):
                    break
                options.append(following)
            if not any(re.match(r"^\s*:alt:\s*\S", option) for option in options):
                problems.append(f"{cell.location(number)}: {line.strip()} has no :alt: option")
    return problems


@pytest.mark.parametrize("path", SOURCES or _no_pages("pages"), ids=_ids(SOURCES))
def test_markdown_images_have_alt_text(path):
    problems = [problem for cell in read_cells(path) if cell.kind == "markdown" for problem in missing_alt_text(cell)]
    assert not problems, "every figure needs alt text (what it shows, for readers who cannot see it):\n" + "\n".join(
        problems
    )


# ---------------------------------------------------------------------------------------------------------------
# The rendered HTML
# ---------------------------------------------------------------------------------------------------------------


class _ArticleImages(HTMLParser):
    """Collects the attributes of the <img> tags inside the page's <article>."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif tag == "img" and self.depth:
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "article" and self.depth:
            self.depth -= 1


def _article_images(html: Path) -> list[dict[str, str | None]]:
    parser = _ArticleImages()
    parser.feed(html.read_text(encoding="utf-8"))
    return parser.images


@pytest.mark.slow
@pytest.mark.parametrize("entry", PAGES, ids=_ids(PAGES))
def test_rendered_images_have_alt_text(book_build, entry):
    """Every image in a rendered page, executed plots included, has real alt text. For a plot, set it in the
    cell's metadata (``mystnb: {image: {alt: ...}}``, or ``figure:`` with a caption) or glue the figure and use
    ``{glue:figure}`` with ``:alt:``. Frames of a to_jshtml animation are exempt (the animation's caption and
    surrounding text describe it)."""
    from browser import is_meaningful_alt

    html = book_build.html_dir / entry.html_name
    if not html.is_file():
        pytest.skip("page not rendered; see test_book_builds")
    bad = [
        f"<img src={image.get('src', '')!s:.80} alt={image.get('alt')!r}>"
        for image in _article_images(html)
        if not (image.get("id") or "").startswith("_anim_img") and not is_meaningful_alt(image.get("alt"))
    ]
    assert not bad, f"{entry.html_name}: images without alt text:\n" + "\n".join(bad)


@pytest.mark.slow
def test_notebook_pages_have_launch_buttons(book_build):
    """Binder and Colab buttons (rendered only; never followed here) open the page from the repository."""
    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    repository = config["repository"]["url"].removeprefix("https://github.com/")
    notebooks = [entry for entry in PAGES if is_notebook(entry.path)]
    assert notebooks, "no notebook page to carry launch buttons"
    for entry in notebooks:
        html = (book_build.html_dir / entry.html_name).read_text(encoding="utf-8")
        assert f"mybinder.org/v2/gh/{repository}/" in html, f"{entry.html_name}: no Binder launch button"
        if entry.path.suffix == ".ipynb":  # Colab opens .ipynb files only
            assert f"colab.research.google.com/github/{repository}/" in html, f"{entry.html_name}: no Colab button"
        assert f"github.com/{repository}" in html, f"{entry.html_name}: no repository button"


# ---------------------------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------------------------


def test_pages_workflow_builds_and_deploys_the_book():
    """.github/workflows/book.yml cannot run here; check it is valid YAML doing what CI does."""
    path = ROOT / ".github" / "workflows" / "book.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    commands = "\n".join(step.get("run", "") for step in steps)
    actions = [step.get("uses", "").split("@")[0] for step in steps]
    assert "make install" in commands
    assert "jupyter-book build -W -n --keep-going book/" in commands
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= set(actions)
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "book/_build/html"
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
