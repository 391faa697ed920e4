"""Where every number in the chip catalog comes from.

A :class:`Source` is a document (a vendor page, a paper, a device query); a :class:`Provenance` record ties one
value of one chip to a source, says where in it the value sits (table/section), how it was published
(``as_published``, e.g. ``"32 GiB"``), and keeps the values other sources give as :class:`Alternative`\\ s with
the reason for the choice. The kinds follow the research notes in ``shared/reference/chips.md``.

>>> from datetime import date
>>> paper = Source(id="TPUV1-ISCA17", title="Jouppi et al., ISCA 2017", url="https://arxiv.org/abs/1704.04760",
...                kind="paper", accessed=date(2026, 11, 28))
>>> Provenance(source=paper, note="Table 2", as_published="34 GB/s").kind
'paper'
>>> published_value_si("32 GiB"), published_value_si("819 GBps"), published_value_si("1600 Gbps")
(34359738368.0, 819000000000.0, 200000000000.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from chiplab.errors import ChiplabInputError

# How much to trust a value, best first (chips.md, "Kind labels"); "assumption" and "toy" are chiplab's own:
# an assumption fills a gap by an argument stated in the note, a toy number is invented for teaching.
SOURCE_KINDS = (
    "vendor spec",
    "paper",
    "third-party measurement",
    "third-party estimate",
    "vendor claim",
    "derived",
    "assumption",
    "toy",
)

# A URL, or a paper reference a reader can resolve.
_REFERENCE_PREFIXES = ("https://", "http://", "doi:", "arXiv:")


def _text(owner: str, name: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        wanted = "a non-empty string" if required else "a string"
        raise ChiplabInputError(f"{owner}: {name} must be {wanted}; got {value!r}")
    return value.strip()


def _kind(owner: str, value: object) -> str:
    if value not in SOURCE_KINDS:
        raise ChiplabInputError(f"{owner}: kind must be one of {', '.join(SOURCE_KINDS)}; got {value!r}")
    return str(value)


@dataclass(frozen=True, kw_only=True)
class Source:
    """One document numbers were read from. ``accessed`` is the date chiplab's research read it;
    ``snapshot`` names the version read where known (a commit, a revision date)."""

    id: str
    title: str
    url: str
    kind: str
    accessed: date
    snapshot: str = ""
    caveat: str = ""

    def __post_init__(self) -> None:
        owner = f"source {self.id!r}"
        _text(owner, "id", self.id)
        _text(owner, "title", self.title)
        url = _text(owner, "url", self.url)
        if not url.startswith(_REFERENCE_PREFIXES):
            raise ChiplabInputError(
                f"{owner}: url must be a URL or paper reference starting with {', '.join(_REFERENCE_PREFIXES)};"
                f" got {url!r}"
            )
        _kind(owner, self.kind)
        if not isinstance(self.accessed, date):
            raise ChiplabInputError(f"{owner}: accessed must be a date (YYYY-MM-DD); got {self.accessed!r}")
        _text(owner, "snapshot", self.snapshot, required=False)
        _text(owner, "caveat", self.caveat, required=False)


@dataclass(frozen=True, kw_only=True)
class Alternative:
    """A value another source gives for the same quantity (SI units if a number), kept so readers can judge."""

    value: float | str
    source: Source
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.source, Source):
            raise ChiplabInputError(f"alternative: source must be a Source; got {self.source!r}")
        if isinstance(self.value, bool) or not isinstance(self.value, int | float | str):
            raise ChiplabInputError(f"alternative from {self.source.id}: value must be a number or text; "
                                    f"got {self.value!r}")
        _text(f"alternative from {self.source.id}", "note", self.note, required=False)


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where one value comes from.

    ``kind`` defaults to the source's kind; set it when, say, a clock is *derived* from a vendor's peak.
    ``rechecked`` is the date someone re-read the source for this value (then :attr:`accessed` is that date).
    ``choice`` says why this value won over the ``alternatives``; it is required when there are any.
    """

    source: Source
    note: str
    as_published: str = ""
    kind: str = ""
    rechecked: date | None = None
    alternatives: tuple[Alternative, ...] = ()
    choice: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.source, Source):
            raise ChiplabInputError(f"provenance: source must be a Source; got {self.source!r}")
        owner = f"provenance from {self.source.id}"
        _text(owner, "note", self.note)
        _text(owner, "as_published", self.as_published, required=False)
        object.__setattr__(self, "kind", _kind(owner, self.kind or self.source.kind))
        if self.rechecked is not None and not isinstance(self.rechecked, date):
            raise ChiplabInputError(f"{owner}: rechecked must be a date or None; got {self.rechecked!r}")
        object.__setattr__(self, "alternatives", tuple(self.alternatives))
        _text(owner, "choice", self.choice, required=False)
        if self.alternatives and not self.choice.strip():
            raise ChiplabInputError(f"{owner}: choice must say why this value was preferred over the "
                                    f"{len(self.alternatives)} alternative(s); got an empty choice")

    @property
    def accessed(self) -> date:
        """When the value was last read from its source."""
        return self.rechecked or self.source.accessed


# Every unit a source may print a figure in, as (dimension, factor to SI): the chip catalog (bytes, bytes/s, Hz, W,
# FLOP/s, mm²) and the measurement record (FLOP/s, bytes/s, tokens/s, sequences/s, requests/s, fractions, seconds)
# read the same table. Case matters: "GB/s" and "GBps" are bytes, "Gb/s" and "Gbps" are bits (Google writes both).
PUBLISHED_UNITS: dict[str, tuple[str, float]] = {
    **{u: ("bytes", f) for u, f in (("B", 1), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15),
                                   ("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40))},
    **{u: ("bytes_per_s", f) for u, f in (("B/s", 1), ("MB/s", 1e6), ("GB/s", 1e9), ("GBps", 1e9), ("GB/sec", 1e9),
                                         ("TB/s", 1e12), ("TBps", 1e12), ("GiB/s", 2**30), ("GiBps", 2**30),
                                         ("GiB/sec", 2**30), ("Gb/s", 1e9 / 8), ("Gbps", 1e9 / 8),
                                         ("Tb/s", 1e12 / 8), ("Tbps", 1e12 / 8))},
    **{u: ("hz", f) for u, f in (("Hz", 1), ("kHz", 1e3), ("MHz", 1e6), ("GHz", 1e9))},
    **{u: ("w", f) for u, f in (("W", 1), ("kW", 1e3))},
    **{u: ("flops_per_s", f) for u, f in (("FLOPS", 1), ("FLOP/s", 1), ("GFLOPS", 1e9), ("TFLOPS", 1e12),
                                         ("PFLOPS", 1e15), ("TOPS", 1e12), ("POPS", 1e15), ("TF", 1e12),
                                         ("TFLOP/s", 1e12), ("TFLOP/s/GPU", 1e12), ("TFLOP/s/device", 1e12),
                                         ("TFLOP/sec/GPU", 1e12))},
    **{u: ("mm2", 1) for u in ("mm^2", "mm2")},
    "billion": ("count", 1e9),
    **{u: ("tokens_per_s", 1) for u in ("tokens/s", "tok/s", "token/s", "tokens/sec", "TPS", "tokens/s/GPU",
                                        "tokens/s/device", "Tokens/sec/GPU", "tokens/s/chip")},
    **{u: ("sequences_per_s", 1) for u in ("seq/sec", "seq/s", "sequences/s")},
    "req/s": ("requests_per_s", 1),
    "%": ("fraction", 0.01),
    **{u: ("s", f) for u, f in (("s", 1), ("sec", 1), ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("min", 60),
                                ("minutes", 60))},
}
_LEADING_QUANTITY = re.compile(r"^[~≈]?\s*([0-9][0-9,_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z][\w/^]*)?")


def published_value_si(text: str) -> float | None:
    """The SI value of the quantity a published string starts with, or None if it starts with no number.

    A leading word that is not a known unit (``"2 TensorCores"``) counts as a plain count. Used by the
    catalog tests to check every stored value against the figure as the source printed it.
    """
    if not isinstance(text, str):
        raise ChiplabInputError(f"text must be a published figure such as '2.9 TB/s'; got {text!r}")
    match = _LEADING_QUANTITY.match(text.strip())
    if match is None:
        return None
    number = float(match.group(1).replace(",", "").replace("_", ""))
    return number * PUBLISHED_UNITS.get(match.group(2) or "", ("count", 1))[1]
