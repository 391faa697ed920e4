"""Put the website's JavaScript (the widget renderer, require.js and MathJax) under book/_static/vendor/, so the
built site renders embedded widgets and formulas without loading anything from the network.

The files are not committed (about 6 MB of minified JavaScript and fonts); ``make install`` (and so ``make test``
and ``make lab``) runs this script, which downloads the exact versions below with ``npm pack`` from the npm
registry and refuses a tarball whose sha512 differs from the one recorded here. Upgrading one: change its version,
run the script, and copy the integrity it reports into the table (``npm view NAME@VERSION dist.integrity``).

Usage: python book/_vendor/fetch_assets.py [--force]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "_static" / "vendor"
STAMP = VENDOR / ".fetched.json"

# name, version, sha512 (npm's dist.integrity), and what to copy: tarball path prefix -> folder under VENDOR.
PACKAGES = [
    # The renderer of embedded widget state (the one MyST-NB loads from a CDN by default) and its icon fonts, which
    # its CSS looks for under "@jupyter-widgets/html-manager/dist/" next to each page (book/_ext/chiplab_site.py).
    ("@jupyter-widgets/html-manager", "1.0.15",
     "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
     {"package/dist/": "html-manager/"}),
    ("requirejs", "2.3.8",
     "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
     {"package/require.js": "require.js"}),
    # MathJax 3 (the version Sphinx 7 configures): the combined TeX + CommonHTML component, the extensions it
    # may load on demand, its web fonts and the menu.
    ("mathjax", "3.2.2",
     "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
     {"package/es5/tex-chtml.js": "mathjax/tex-chtml.js",
      "package/es5/input/tex/extensions/": "mathjax/input/tex/extensions/",
      "package/es5/output/chtml/fonts/woff-v2/": "mathjax/output/chtml/fonts/woff-v2/",
      "package/es5/ui/": "mathjax/ui/", "package/es5/a11y/": "mathjax/a11y/", "package/LICENSE": "mathjax/LICENSE"}),
]  # fmt: skip
SKIPPED_SUFFIXES = (".map", ".d.ts", ".eot", ".ttf", ".svg")  # browsers take woff2/woff
SKIPPED_NAMES = {"embed.js", "libembed-amd.js"}  # other builds of the renderer; pages load embed-amd.js


def _wanted() -> dict:
    return {name: version for name, version, _, _ in PACKAGES}


def _extract(tarball: Path, copies: dict[str, str]) -> None:
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not member.isfile() or member.name.endswith(SKIPPED_SUFFIXES) or Path(member.name).name in SKIPPED_NAMES:
                continue
            for prefix, target in copies.items():
                if member.name == prefix or (prefix.endswith("/") and member.name.startswith(prefix)):
                    destination = VENDOR / (target + member.name[len(prefix) :] if prefix.endswith("/") else target)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with archive.extractfile(member) as source, open(destination, "wb") as out:
                        shutil.copyfileobj(source, out)


def main(force: bool = False) -> int:
    if not force and STAMP.is_file() and json.loads(STAMP.read_text()) == _wanted():
        return 0
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("fetch_assets: npm is needed once to fetch the book's JavaScript (apt-get install npm, or nodejs.org)")
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        specs = [f"{name}@{version}" for name, version, _, _ in PACKAGES]
        result = subprocess.run([npm, "pack", "--json", "--silent", *specs], cwd=tmp, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"fetch_assets: npm pack {' '.join(specs)} failed:\n{result.stderr}")
        packed = {entry["name"]: entry for entry in json.loads(result.stdout)}
        for name, version, integrity, copies in PACKAGES:
            entry = packed[name]
            if entry["version"] != version or entry["integrity"] != integrity:
                sys.exit(f"fetch_assets: {name}@{entry['version']} has integrity {entry['integrity']}, expected "
                         f"{version} with {integrity}; refusing it")
            _extract(Path(tmp) / entry["filename"], copies)
    STAMP.write_text(json.dumps(_wanted()))
    print(f"fetch_assets: {', '.join(f'{n}@{v}' for n, v in _wanted().items())} -> {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(force="--force" in sys.argv[1:]))
