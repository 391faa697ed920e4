"""Helpers for the browser tests: headless Debian Chromium through Python playwright, a static file server for
the built book, and a real JupyterLab driven like a student would drive it.

Recipes from /work/shared/reference/toolchain.md §2, checked on this kind of machine. Never run
``playwright install``: the tests drive the system's /usr/bin/chromium (``apt-get install chromium``).

Reuse for a real explorer notebook, e.g.::

    with jupyterlab_server(BOOK, work_dir=tmp_path) as lab:
        notebook = open_notebook(page, lab, "chapters/systolic_arrays.md")
        run_all_cells(page, "chapters/systolic_arrays.md")
        expect(notebook.locator(".widget-slider")).to_have_count(3, timeout=60_000)
        before = notebook.locator(".jp-OutputArea-output img").first.get_attribute("src")
        expect(press_slider(page, notebook, "ArrowRight", times=2)).to_have_text("3")
        wait_for_new_image(page, before)
"""

from __future__ import annotations

import functools
import http.server
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

# Flags from toolchain.md §2: root-safe (--no-sandbox) and quiet (no background network, updates or sync).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def launch_chromium(playwright, executable_path: str = "/usr/bin/chromium"):
    """A headless playwright ``Browser`` running the given Chromium binary."""
    return playwright.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS, headless=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (servers are started with retries off)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------------
# The static site
# ---------------------------------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the test output is for failures, not for access logs
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (a thread in this process); yields the base URL, ending in "/"."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve {root}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def block_external_requests(context_or_page, base_url: str) -> list[str]:
    """Abort every request that does not go to ``base_url``'s host (CDN scripts, fonts, analytics), so a page
    test is hermetic and fast whether or not the machine is online. Returns the list of blocked URLs."""
    host = urlsplit(base_url).netloc
    blocked: list[str] = []

    def handle(route):
        url = route.request.url
        if urlsplit(url).netloc == host or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context_or_page.route("**/*", handle)
    return blocked


# Resolves with a list of problems: images that fail to load (naturalWidth 0) inside the page's article.
_WAIT_FOR_IMAGES = """async () => {
  // Images a reader can see (a hidden one, e.g. an explorer picture not drawn yet, is not part of the page).
  const images = Array.from(document.querySelectorAll('article img')).filter(img => img.getClientRects().length);
  await Promise.all(images.map(img => {
    img.loading = 'eager';
    if (img.complete) return null;
    return new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); });
  }));
  return images.map(img => ({src: (img.getAttribute('src') || '').slice(0, 120), alt: img.getAttribute('alt'),
                             width: img.naturalWidth, inAnimation: !!img.closest('.animation')}));
}"""


def article_images(page) -> list[dict]:
    """Every ``article img`` after it finished loading: ``{src, alt, width (naturalWidth), inAnimation}``."""
    return page.evaluate(_WAIT_FOR_IMAGES)


def is_meaningful_alt(alt: str | None) -> bool:
    """Alt text a screen reader can use: present, not blank, not a file name (Sphinx's default for images
    without alt text is their path)."""
    if not alt or not alt.strip():
        return False
    return not alt.strip().lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"))


def internal_links(page, base_url: str) -> list[str]:
    """Absolute URLs of every ``a[href]`` on the page that points into the site at ``base_url``."""
    hrefs = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
    return sorted({href for href in hrefs if href.startswith(base_url)})


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


@functools.cache
def html_ids(path: Path) -> frozenset[str]:
    """The ``id`` (and ``<a name>``) attributes of an HTML file: the targets its ``#fragments`` may name."""
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def broken_links(links: list[str], site_dir: Path, base_url: str) -> list[str]:
    """The links (from :func:`internal_links`) whose file is missing under ``site_dir`` or whose ``#fragment``
    names no element of the target page, each with the reason."""
    problems = []
    for link in links:
        url, fragment = urldefrag(link)
        relative = unquote(urlsplit(url).path)[len(urlsplit(base_url).path) :]
        target = site_dir / relative
        if relative == "" or relative.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{link}: no file {relative or 'index.html'} in the site")
        elif fragment and target.suffix == ".html" and unquote(fragment) not in html_ids(target):
            problems.append(f"{link}: {target.name} has no element with id {fragment!r}")
    return problems


def animations(page) -> list[dict]:
    """The matplotlib ``to_jshtml`` animations on the page: ``{frameWidth, numFrames}`` each."""
    return page.eval_on_selector_all(
        "div.animation",
        """divs => divs.map(div => {
             const img = div.querySelector('img'), slider = div.querySelector('input.anim-slider');
             return {frameWidth: img ? img.naturalWidth : 0, numFrames: slider ? Number(slider.max) + 1 : 0};
           })""",
    )


def step_animation(page, index: int = 0) -> tuple[str, str]:
    """Press "Next frame" on the page's ``index``-th animation; returns the frame image's src before and after."""
    animation = page.locator("div.animation").nth(index)
    frame = animation.locator("img").first
    before = frame.get_attribute("src") or ""
    animation.locator('button[title="Next frame"]').click()
    page.wait_for_function(
        "([img, before]) => img.getAttribute('src') !== before", arg=[frame.element_handle(), before]
    )
    return before, frame.get_attribute("src") or ""


# ---------------------------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------------------------


# JupyterLab settings that `make lab` installs into the venv: open the book's MyST Markdown pages as notebooks.
LAB_OVERRIDES = Path(__file__).resolve().parents[1] / "book" / ".jupyterlab" / "overrides.json"


@dataclass(frozen=True)
class JupyterLabServer:
    """A running JupyterLab (see :func:`jupyterlab_server`)."""

    url: str  # "http://127.0.0.1:PORT/"
    token: str
    root_dir: Path
    process: subprocess.Popen

    def notebook_url(self, notebook: str) -> str:
        """URL that opens ``notebook`` (relative to root_dir) alone: ``?reset`` drops any saved workspace."""
        return f"{self.url}lab/tree/{notebook}?reset&token={self.token}"


@contextmanager
def jupyterlab_server(root_dir: Path, *, work_dir: Path, startup_timeout_s: float = 90) -> Iterator[JupyterLabServer]:
    """Start JupyterLab on 127.0.0.1 serving ``root_dir``; stop it (and its kernels) on exit.

    Fresh settings, workspace, config, data and runtime directories under ``work_dir`` keep a user's setup out;
    autosave is off so that running a notebook never writes outputs back into ``root_dir``.
    """
    from conftest_book import isolated_jupyter_env

    env = isolated_jupyter_env(work_dir / "jupyter-home")
    settings = work_dir / "lab-settings"
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True, exist_ok=True)
    # The same default viewers as `make lab` (book/.jupyterlab/overrides.json): .md pages open as notebooks.
    overrides = json.loads(LAB_OVERRIDES.read_text(encoding="utf-8"))
    docmanager = {**overrides["@jupyterlab/docmanager-extension:plugin"], "autosave": False}
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps(docmanager)
    )
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(work_dir / "lab-workspaces")
    token = secrets.token_hex(16)
    port = free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    log_path = work_dir / "jupyterlab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root_dir)
    server = JupyterLabServer(f"http://127.0.0.1:{port}/", token, Path(root_dir), process)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{server.url}api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"JupyterLab did not answer in {startup_timeout_s} s:\n{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.25)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


VISIBLE_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def visible_notebook(page):
    """Locator of the notebook panel on screen; scope every notebook locator to it (recipe step 4)."""
    return page.locator(VISIBLE_NOTEBOOK)


def open_notebook(page, server: JupyterLabServer, notebook: str):
    """Open ``notebook`` (relative to the server's root_dir) in JupyterLab; returns :func:`visible_notebook`."""
    page.goto(server.notebook_url(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    return visible_notebook(page)


# Recipe step 3: find the panel by path, activate it, wait until its kernel is really connected, then run all
# cells through the command registry (clicking "Run All Cells" in the menu silently did nothing in about 1 run
# in 3, when the kernel was not yet connected).
_RUN_ALL_CELLS = """async ([path, timeoutMs]) => {
  const app = window.jupyterapp;
  const sleep = ms => new Promise(done => setTimeout(done, ms));
  const deadline = Date.now() + timeoutMs;
  let panel;
  while (!(panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path))) {
    if (Date.now() > deadline) throw new Error('no notebook panel for ' + path);
    await sleep(100);
  }
  app.shell.activateById(panel.id);
  await panel.context.ready;
  await panel.sessionContext.ready;
  while (!(panel.sessionContext.session && panel.sessionContext.session.kernel
           && panel.sessionContext.session.kernel.connectionStatus === 'connected')) {
    if (Date.now() > deadline) throw new Error('kernel of ' + path + ' never connected');
    await sleep(100);
  }
  await app.commands.execute('notebook:run-all-cells');
  return true;
}"""


def run_all_cells(page, notebook: str, timeout_s: float = 90) -> None:
    """Wait for ``notebook``'s kernel, then run all its cells (returns when they are queued, not finished:
    wait for their outputs with ``expect(...).to_have_count(n)``)."""
    page.evaluate(_RUN_ALL_CELLS, [notebook, int(timeout_s * 1000)])


def press_slider(page, notebook, key: str = "ArrowRight", times: int = 1, index: int = 0):
    """Focus the ``index``-th ipywidgets slider handle in ``notebook`` and press ``key`` ``times`` times, as a
    keyboard user would; returns the slider's readout locator (``expect(readout).to_have_text("3")``)."""
    slider = notebook.locator(".widget-slider").nth(index)
    slider.locator(".noUi-handle").focus()
    for _ in range(times):
        page.keyboard.press(key)
    return slider.locator(".widget-readout")


def wait_for_new_image(page, before_src: str, index: int = 0, timeout_s: float = 30) -> str:
    """Wait until the ``index``-th output image of the visible notebook has a src other than ``before_src`` (an
    inline matplotlib figure was redrawn; the old <img> may have been replaced); returns the new src."""
    handle = page.wait_for_function(
        """([selector, before, index]) => {
             const img = document.querySelectorAll(selector)[index];
             return img && img.getAttribute('src') !== before ? img.getAttribute('src') : null;
           }""",
        arg=[VISIBLE_NOTEBOOK + " .jp-OutputArea-output img", before_src, index],
        timeout=timeout_s * 1000,
    )
    return handle.json_value()
