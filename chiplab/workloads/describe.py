"""Where a transformer's FLOPs go, how good the 6·N·D rule of thumb is, and how hard each GEMM leans on memory.

Three views of the workload for the book and notebooks, each a frozen result with a ``to_markdown()`` table
(figures of them are in :mod:`chiplab.viz.workloads`):

* :func:`flops_breakdown` sorts a step's FLOPs into attention projections, attention scores, MLP, output
  logits and everything that is not a matrix multiply.
* :func:`compare_six_n` sets chiplab's op-by-op count of training FLOPs per token beside the rule of thumb 6N
  (Kaplan et al. 2020, Sec. 2.1) and PaLM's corrected 6N + 12·L·H·Q·T (Chowdhery et al. 2022, App. B).
* :func:`intensity_sweep` gives the arithmetic intensity of a weight GEMM as the number of tokens m grows, and
  the number of tokens each chip needs per weight read before the GEMM stops being limited by memory.

>>> from chiplab.workloads import Gemm
>>> round(arithmetic_intensity_flops_per_byte(Gemm(m=1, n=4096, k=4096)), 3)   # one token: ~1 FLOP per byte
1.0
>>> tokens_to_reach(300.0, n=4096, k=4096)          # 300 FLOP per byte needs 352 tokens per weight read
352
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chiplab._checks import instance_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip
from chiplab.hardware.chip import Chip
from chiplab.tables import markdown_table
from chiplab.workloads.flop_formulas import flops_per_token_training, palm_training_flops_per_token
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm
from chiplab.workloads.ops import GemmOp, ModelStep
from chiplab.workloads.transformer import TransformerConfig

# --- where the FLOPs go ---------------------------------------------------------------------------------------

ATTENTION_PROJECTIONS = "attention projections (Q, K, V, O)"
ATTENTION_SCORES = "attention scores (QKᵀ and P·V)"
MLP = "MLP"
LOGITS = "output logits"
NON_MATMUL = "everything else (norms, softmax, activations, optimizer)"
CATEGORIES = (ATTENTION_PROJECTIONS, ATTENTION_SCORES, MLP, LOGITS, NON_MATMUL)
# The activation GEMMs of an attention layer (QKᵀ and P·V) by op name, for results that keep the name but not the
# kind (the backward ops are "<name>.grad_a" and "<name>.grad_b").
ATTENTION_SCORE_GEMMS = ("scores", "attn_values")


def gemm_category(phase: str, name: str) -> str:
    """The category of a GEMM, by its phase and name: attention GEMMs split into the weight GEMMs (projections) and
    the activation GEMMs (the scores and P·V, :data:`ATTENTION_SCORE_GEMMS`; their backward ops too). The one
    home of the categories: :func:`flop_category` (FLOPs) and ``chiplab.perf.llm.op_category`` (time) use it."""
    if phase == "attention":
        return ATTENTION_SCORES if name.split(".")[0] in ATTENTION_SCORE_GEMMS else ATTENTION_PROJECTIONS
    # no GEMM lives in another phase today; never drop FLOPs if one does
    return {"mlp": MLP, "logits": LOGITS}.get(phase, NON_MATMUL)


def flop_category(op: object) -> str:
    """The category of an op: GEMMs by :func:`gemm_category`, every vector op in :data:`NON_MATMUL`."""
    return gemm_category(op.phase, op.name) if isinstance(op, GemmOp) else NON_MATMUL


@dataclass(frozen=True)
class FlopsBreakdown:
    """A step's FLOPs per category (in :data:`CATEGORIES` order), counted over all its ops."""

    step_name: str
    step_kind: str
    num_tokens: int
    flops: tuple[tuple[str, int], ...]  # (category, FLOPs)
    includes_recompute: bool

    @property
    def total_flops(self) -> int:
        return sum(value for _, value in self.flops)

    def flops_of(self, category: str) -> int:
        for name, value in self.flops:
            if name == category:
                return value
        raise ChiplabInputError(f"category must be one of {', '.join(CATEGORIES)}; got {category!r}")

    def fraction(self, category: str) -> float:
        """Share of the step's FLOPs in ``category``."""
        return self.flops_of(category) / self.total_flops

    @property
    def matmul_fraction(self) -> float:
        """Share of the FLOPs done by matrix multiplies: what a systolic array can accelerate."""
        return 1 - self.fraction(NON_MATMUL)

    def to_markdown(self) -> str:
        rows = [[name, f"{value:.3g}", f"{value / self.num_tokens:.3g}", f"{value / self.total_flops:.1%}"]
                for name, value in self.flops]
        rows.append(["total", f"{self.total_flops:.3g}", f"{self.total_flops / self.num_tokens:.3g}", "100%"])
        return markdown_table(["part", "FLOPs", "FLOPs per token", "share"], rows)


def flops_breakdown(step: ModelStep, *, include_recompute: bool = False) -> FlopsBreakdown:
    """Sort ``step``'s FLOPs into :data:`CATEGORIES`. Recomputed work (``stage="recompute"``) is left out unless
    ``include_recompute``: without it, the matmul categories add up to the model FLOPs that MFU counts."""
    instance_of("step", step, ModelStep, "a ModelStep (e.g. model.training_step(batch=1, seq_len=2048))")
    if not isinstance(include_recompute, bool):
        raise ChiplabInputError(f"include_recompute must be True or False; got {include_recompute!r}")
    totals = dict.fromkeys(CATEGORIES, 0)
    for op in step.ops:
        if op.stage == "recompute" and not include_recompute:
            continue
        totals[flop_category(op)] += op.total_flops
    return FlopsBreakdown(step_name=step.name, step_kind=step.kind, num_tokens=step.num_tokens,
                          flops=tuple(totals.items()), includes_recompute=include_recompute)


def flops_breakdown_table(step: ModelStep, *, include_recompute: bool = False) -> str:
    """:func:`flops_breakdown` as a Markdown table: FLOPs, FLOPs per token and share of each part."""
    return flops_breakdown(step, include_recompute=include_recompute).to_markdown()


# --- the 6·N·D rule of thumb ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SixNRow:
    """Training FLOPs per token of one model at one sequence length, three ways."""

    model_name: str
    seq_len: int
    num_params: int  # every parameter (what "N" usually means when people quote a model's size)
    num_matmul_params: int  # the weights that enter a matmul (PaLM's N)
    counted_flops_per_token: float  # chiplab's op-by-op count: forward + backward matmuls

    @property
    def six_n_flops_per_token(self) -> float:
        """The rule of thumb: 6 FLOPs per parameter per token (2 forward, 4 backward)."""
        return 6.0 * self.num_params

    @property
    def attention_flops_per_token(self) -> float:
        """The part 6N leaves out: the attention scores and P·V, which grow with the sequence length."""
        return self.counted_flops_per_token - 6.0 * self.num_matmul_params

    @property
    def counted_over_six_n(self) -> float:
        """How many times 6N the real count is (1 = the rule of thumb is exact)."""
        return self.counted_flops_per_token / self.six_n_flops_per_token

    @property
    def six_n_error_fraction(self) -> float:
        """(6N − counted) / counted: negative where 6N undercounts."""
        return (self.six_n_flops_per_token - self.counted_flops_per_token) / self.counted_flops_per_token


@dataclass(frozen=True)
class SixNComparison:
    rows: tuple[SixNRow, ...]

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.model_name for row in self.rows))

    def rows_of(self, model_name: str) -> tuple[SixNRow, ...]:
        found = tuple(row for row in self.rows if row.model_name == model_name)
        if not found:
            raise ChiplabInputError(f"model_name must be one of {', '.join(self.model_names)}; got {model_name!r}")
        return found

    def row(self, model_name: str, seq_len: int) -> SixNRow:
        for row in self.rows_of(model_name):
            if row.seq_len == seq_len:
                return row
        raise ChiplabInputError(f"seq_len {seq_len} was not compared for {model_name!r}; compared: "
                                f"{', '.join(str(r.seq_len) for r in self.rows_of(model_name))}")

    def to_markdown(self) -> str:
        rows = [[r.model_name, f"{r.seq_len:,}", f"{r.six_n_flops_per_token:.3g}",
                 f"{r.counted_flops_per_token:.3g}", f"{r.attention_flops_per_token / r.counted_flops_per_token:.1%}",
                 f"{r.counted_over_six_n:.2f}×"] for r in self.rows]
        return markdown_table(["model", "sequence length T", "6N per token", "counted per token",
                               "of which attention scores", "counted ÷ 6N"], rows)


def compare_six_n(configs: Iterable[TransformerConfig], seq_lens: Iterable[int]) -> SixNComparison:
    """Count the training FLOPs per token of every model at every sequence length and set them beside 6N.

    A sequence longer than a model's context window is counted anyway, as a what-if (the FLOPs are well defined
    even where the model was never trained): the config's ``max_seq_len`` is raised for the count.
    """
    instance_of("configs", configs, (Iterable,), "an iterable of TransformerConfigs")
    instance_of("seq_lens", seq_lens, (Iterable,), "an iterable of sequence lengths, e.g. [2048, 8192]")
    lengths = [positive_int("seq_len", length) for length in seq_lens]
    rows = []
    for config in configs:
        if not isinstance(config, TransformerConfig):
            raise ChiplabInputError(f"configs must be TransformerConfigs (e.g. load_model('llama3-8b')); "
                                    f"got {config!r}")
        for seq_len in lengths:
            stretched = config if seq_len <= config.max_seq_len else dataclasses.replace(config, max_seq_len=seq_len)
            rows.append(SixNRow(model_name=config.name, seq_len=seq_len, num_params=config.num_params,
                                num_matmul_params=config.num_matmul_params,
                                counted_flops_per_token=flops_per_token_training(stretched, seq_len=seq_len)))
    if not rows:
        raise ChiplabInputError("compare_six_n needs at least one config and one seq_len")
    return SixNComparison(tuple(rows))


def palm_check(config: TransformerConfig, seq_len: int) -> tuple[float, float]:
    """(chiplab's count, PaLM's 6N + 12·L·H·Q·T with N = matmul weights) per token: the two must agree."""
    palm = palm_training_flops_per_token(num_params=config.num_matmul_params, num_layers=config.num_layers,
                                         num_heads=config.num_heads, head_dim=config.head_dim,
                                         seq_len=seq_len)
    return flops_per_token_training(config, seq_len=seq_len), palm


# --- arithmetic intensity of a weight GEMM ----------------------------------------------------------------------

def arithmetic_intensity_flops_per_byte(gemm: Gemm) -> float:
    """FLOPs per byte of compulsory off-chip traffic: 2·m·n·k ÷ (the bytes of A, B and C, each moved once at its own
    width: :attr:`Gemm.unique_bytes`). For a weight GEMM with m tokens much smaller than n and k this is about
    m × 2 / bytes per weight: in bf16, one FLOP per byte per token; with int4 weights (W4A16), four."""
    instance_of("gemm", gemm, Gemm, "a Gemm, e.g. Gemm(m=8, n=4096, k=4096)")
    return gemm.num_flops / gemm.unique_bytes


def tokens_to_reach(intensity_flops_per_byte: float, *, n: int, k: int, dtype: str = "bf16") -> int | None:
    """The fewest tokens m for which a weight GEMM (k × n weights) reaches ``intensity_flops_per_byte``, or
    None if no m does (the intensity tends to 2·n·k ÷ (bytes · (n + k)) as m grows).

    Solves 2·m·n·k ≥ I·b·(m·k + k·n + m·n) for m: m ≥ I·b·k·n ÷ (2·n·k − I·b·(n + k)).
    """
    if not intensity_flops_per_byte > 0:
        raise ChiplabInputError(f"intensity_flops_per_byte must be > 0; got {intensity_flops_per_byte!r}")
    n, k = positive_int("n", n), positive_int("k", k)
    if dtype not in DTYPE_BYTES:
        raise ChiplabInputError(f"dtype must be one of {', '.join(DTYPE_BYTES)}; got {dtype!r}")
    b = DTYPE_BYTES[dtype]
    denominator = 2 * n * k - intensity_flops_per_byte * b * (n + k)
    if denominator <= 0:
        return None
    return max(1, math.ceil(intensity_flops_per_byte * b * k * n / denominator - 1e-9))


@dataclass(frozen=True)
class Ridge:
    """A chip's ridge point at its off-chip memory, and the tokens a weight GEMM needs to reach it."""

    chip_id: str
    chip_name: str
    memory_label: str
    ridge_flops_per_byte: float
    tokens_needed: int | None


@dataclass(frozen=True)
class IntensitySweep:
    """Arithmetic intensity of a weight GEMM (k × n weights) for several token counts m."""

    label: str
    n: int
    k: int
    dtype: str
    num_tokens: tuple[int, ...]
    intensity_flops_per_byte: tuple[float, ...]
    ridges: tuple[Ridge, ...]

    def ridge(self, chip: str) -> Ridge:
        """The ridge of a chip by id or display name."""
        for ridge in self.ridges:
            if chip in (ridge.chip_id, ridge.chip_name):
                return ridge
        raise ChiplabInputError(f"chip must be one of {', '.join(r.chip_id for r in self.ridges)}; got {chip!r}")

    def to_markdown(self) -> str:
        rows = [[r.chip_name, f"{r.ridge_flops_per_byte:.0f}",
                 "never" if r.tokens_needed is None else f"{r.tokens_needed:,}"] for r in self.ridges]
        return markdown_table(["chip", f"ridge point ({self.dtype} FLOP per byte of off-chip memory)",
                               "tokens per weight read to be compute-bound"], rows)


def intensity_sweep(*, n: int, k: int, num_tokens: Sequence[int], chips: Iterable[str | Chip] = (),
                    dtype: str = "bf16", label: str = "") -> IntensitySweep:
    """The intensity of Gemm(m, n, k) for each m in ``num_tokens``, and each chip's off-chip ridge point with the
    tokens needed to reach it (:func:`tokens_to_reach`)."""
    instance_of("num_tokens", num_tokens, (Iterable,), "a sequence of token counts, e.g. [1, 8, 64]")
    instance_of("chips", chips, (Iterable,), "an iterable of chips or chip ids")
    tokens = tuple(positive_int("num_tokens", m) for m in num_tokens)
    if not tokens:
        raise ChiplabInputError("num_tokens must list at least one token count, e.g. [1, 8, 64, 512, 4096]")
    intensity = tuple(arithmetic_intensity_flops_per_byte(Gemm(m=m, n=n, k=k, dtype=dtype)) for m in tokens)
    ridges = []
    for chip in chips:
        chip = as_chip(chip)
        ridge = chip.ridge_point_flops_per_byte(dtype)
        ridges.append(Ridge(chip_id=chip.id, chip_name=chip.display_name, memory_label=chip.hbm.vendor_label,
                            ridge_flops_per_byte=ridge, tokens_needed=tokens_to_reach(ridge, n=n, k=k, dtype=dtype)))
    return IntensitySweep(label=label or f"weights {k}×{n}", n=n, k=k, dtype=dtype, num_tokens=tokens,
                          intensity_flops_per_byte=intensity, ridges=tuple(ridges))
