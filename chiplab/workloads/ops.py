"""The op vocabulary of a model step: GEMMs with a multiplicity, and vector ops with their FLOPs and bytes.

The performance model maps every op onto a chip. A :class:`GemmOp` goes through the systolic-array and memory
models. A :class:`VectorOp` (softmax, a norm, an activation function, a residual add, the optimizer update)
goes onto the chip's vector throughput and memory bandwidth. Identical ops are never repeated: ``count`` says how
many run (e.g. one per layer × batch × KV head), so a 126-layer model has as few ops as a 2-layer one.

Every op is tagged three ways:

- ``phase``: the part of the model it belongs to (:data:`PHASES`: embedding, attention, mlp, logits, loss,
  optimizer);
- ``stage``: when it runs in a step (:data:`STAGES`). ``"recompute"`` marks work that is done again only to save
  memory (activation recomputation, FlashAttention's backward). Model FLOPs leave it out and hardware FLOPs
  count it, as in PaLM's MFU vs HFU (Chowdhery et al. 2022, Appendix B).
- ``kind`` of a GEMM: ``"weight"`` (activations × a weight matrix, the weight read from memory) or
  ``"activation"`` (activations × activations, e.g. QKᵀ and P·V, nothing reused across the batch).

Bytes are the compulsory traffic of one instance: every operand read once and the result written once. The memory
model refines this for tiling. FlashAttention (Dao et al. 2022) keeps the scores and probabilities on chip. Its
ops set ``*_offchip = False`` for those operands: the bytes change, the FLOPs do not.

>>> op = GemmOp(name="o_proj", gemm=Gemm(m=8, n=4, k=4), phase="attention", kind="weight", count=2)
>>> op.total_flops, op.read_bytes, op.written_bytes
(512, 96, 64)
>>> backward_ops(op)[1].gemm       # dB = Aᵀ·dC: the weight gradient has the weight's shape k × n
Gemm(m=4, n=4, k=8, dtype='bf16')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from chiplab._checks import non_negative_int, one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.tables import markdown_table, totals_by
from chiplab.workloads.gemm import Gemm

PHASES = ("embedding", "attention", "mlp", "logits", "loss", "optimizer")
STAGES = ("forward", "backward", "recompute", "optimizer")
GEMM_KINDS = ("weight", "activation")
VECTOR_KINDS = ("gather", "norm", "rotary", "softmax", "activation_fn", "elementwise", "copy", "loss", "optimizer",
                "quantize")

# FLOPs per element of the non-GEMM ops, counting each add, multiply, max, divide, exp, sqrt or tanh as one.
# (Non-GEMM FLOPs are well under 1% of a large model's total; what matters for these ops is the bytes they move.)
SOFTMAX_FLOPS_PER_ELEMENT = 5         # max, subtract, exp, sum, divide
RMSNORM_FLOPS_PER_ELEMENT = 4         # square, sum, × 1/rms, × gain        (+ one rsqrt per row)
LAYERNORM_FLOPS_PER_ELEMENT = 7       # mean, subtract, square, sum, × 1/std, × gain, + bias (+ one rsqrt per row)
ACTIVATION_FLOPS_PER_ELEMENT = {
    "silu": 4,                        # x · sigmoid(x): exp, add, divide, multiply
    "gelu": 9,                        # tanh form: x³ (2), ×0.044715, +x, ×√(2/π), tanh, +1, ×0.5, ×x
    "relu": 1,                        # max(x, 0)
}
GATE_FLOPS_PER_ELEMENT = 1            # the product act(x·W_gate) ⊙ (x·W_up) of a gated MLP (SwiGLU, GeGLU)
RESIDUAL_FLOPS_PER_ELEMENT = 1        # x + f(x)
ROTARY_FLOPS_PER_ELEMENT = 3          # x·cos + rotate(x)·sin (Su et al. 2021, RoFormer)
CROSS_ENTROPY_FLOPS_PER_ELEMENT = 5   # a softmax over the vocabulary (the log and the pick are per row)
# AdamW (Loshchilov & Hutter 2019, Alg. 2) per parameter: m ← β1·m + (1−β1)·g (3), v ← β2·v + (1−β2)·g² (4),
# bias corrections (2), √v̂ + ε (2), lr·m̂/(…) (2), decoupled weight decay (2), w ← w − update (1).
ADAMW_FLOPS_PER_PARAM = 16
# Getting a bf16 tensor into 8 bits (chiplab.workloads.eight_bit_training): an FP8 cast takes |x| and a max into the
# tensor's amax, multiplies by the scale and converts with saturation (4); an int8 quantization (AQT) takes |x| and
# a max for its abs-max scale, multiplies by 1/scale, rounds and clips to [-127, 127] (min and max): 6.
FP8_CAST_FLOPS_PER_ELEMENT = 4
INT8_QUANTIZE_FLOPS_PER_ELEMENT = 6
# The backward of an element-wise op applies the chain rule to each element: about twice its forward FLOPs.
BACKWARD_VECTOR_FLOPS_FACTOR = 2


class _Instance(Protocol):
    """What one instance of an op costs, and how many run."""

    @property
    def count(self) -> int: ...
    @property
    def num_flops(self) -> int: ...
    @property
    def read_bytes(self) -> int: ...
    @property
    def written_bytes(self) -> int: ...


class _CountedOp:
    """The totals of ``count`` identical instances, for GEMMs and vector ops alike."""

    @property
    def total_flops(self: _Instance) -> int:
        return self.count * self.num_flops

    @property
    def total_bytes(self: _Instance) -> int:
        return self.count * (self.read_bytes + self.written_bytes)


@dataclass(frozen=True, kw_only=True)
class GemmOp(_CountedOp):
    """``count`` identical GEMMs C[m, n] = A[m, k] @ B[k, n] (the shape in ``gemm``).

    ``a_offchip``/``b_offchip``/``c_offchip`` say whether the operand travels to/from off-chip memory (HBM).
    They are False only inside a fused kernel such as FlashAttention, where the tensor never leaves the chip.

    ``num_batched`` of the ``count`` GEMMs are independent and issued together as one batched kernel (the heads
    and sequences of one attention layer, the experts of an MoE layer): the chip runs them as one stream whose
    folds overlap instead of one GEMM after another. ``count`` is a multiple of it (``count / num_batched``
    kernels run one after another, e.g. one per layer).
    """

    name: str
    gemm: Gemm
    phase: str
    kind: str
    count: int = 1
    stage: str = "forward"
    a_offchip: bool = True
    b_offchip: bool = True
    c_offchip: bool = True
    num_batched: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.gemm, Gemm):
            raise ChiplabInputError(f"GemmOp {self.name!r}: gemm must be a Gemm; got {self.gemm!r}")
        object.__setattr__(self, "count", positive_int("count", self.count))
        object.__setattr__(self, "num_batched", positive_int("num_batched", self.num_batched))
        if self.count % self.num_batched:
            raise ChiplabInputError(f"GemmOp {self.name!r}: count ({self.count}) must be a multiple of "
                                    f"num_batched ({self.num_batched})")
        object.__setattr__(self, "phase", one_of("phase", self.phase, PHASES))
        object.__setattr__(self, "kind", one_of("kind", self.kind, GEMM_KINDS))
        object.__setattr__(self, "stage", one_of("stage", self.stage, STAGES))

    @property
    def num_flops(self) -> int:
        """FLOPs of one instance (2 per multiply-accumulate)."""
        return self.gemm.num_flops

    @property
    def read_bytes(self) -> int:
        """Compulsory bytes read by one instance: A and B once each (those that live off chip)."""
        g = self.gemm
        return g.operand_bytes(g.m * g.k * self.a_offchip, g.k * g.n * self.b_offchip, 0)

    @property
    def written_bytes(self) -> int:
        """Compulsory bytes written by one instance: C once (if it goes off chip), at the output's width."""
        g = self.gemm
        return g.operand_bytes(0, 0, g.m * g.n * self.c_offchip)

    def shape(self) -> str:
        return f"{self.gemm.m}×{self.gemm.n}×{self.gemm.k}"


@dataclass(frozen=True, kw_only=True)
class VectorOp(_CountedOp):
    """``count`` identical non-GEMM ops over ``num_elements`` elements each.

    ``num_flops``, ``read_bytes`` and ``written_bytes`` are per instance. ``num_transcendentals`` counts the
    exp/tanh/sqrt evaluations (already included in ``num_flops``). Some chips run them on a separate unit, such as
    Trainium's Scalar Engine.
    """

    name: str
    kind: str
    phase: str
    num_elements: int
    num_flops: int
    read_bytes: int
    written_bytes: int
    num_transcendentals: int = 0
    count: int = 1
    stage: str = "forward"

    def __post_init__(self) -> None:
        for field in ("num_elements", "num_flops", "read_bytes", "written_bytes", "num_transcendentals"):
            object.__setattr__(self, field, non_negative_int(f"{self.name}.{field}", getattr(self, field)))
        object.__setattr__(self, "count", positive_int("count", self.count))
        object.__setattr__(self, "kind", one_of("kind", self.kind, VECTOR_KINDS))
        object.__setattr__(self, "phase", one_of("phase", self.phase, PHASES))
        object.__setattr__(self, "stage", one_of("stage", self.stage, STAGES))

    def shape(self) -> str:
        return f"{self.num_elements:,} elements"


Op = GemmOp | VectorOp


def with_count(op: Op, factor: int, *, stage: str | None = None) -> Op:
    """The same op ``factor`` times as often (e.g. once per layer → ``num_layers`` times), optionally restaged."""
    return dataclasses.replace(op, count=op.count * factor, stage=stage or op.stage)


def backward_ops(op: Op) -> tuple[Op, ...]:
    """The backward pass of one forward op.

    A GEMM C = A·B has two gradient GEMMs with the same FLOPs each, so a GEMM's backward costs twice its forward:

    - ``<name>.grad_a``: dA = dC·Bᵀ, shape (m, n=k, k=n): the gradient flowing to the previous layer;
    - ``<name>.grad_b``: dB = Aᵀ·dC, shape (m=k, n, k=m). For a weight GEMM this is the weight gradient.

    An on-chip C (inside a fused kernel) makes dC on-chip too. A vector op's backward reads what its forward read
    (the saved inputs) plus the incoming gradient, writes one gradient per input, and costs
    :data:`BACKWARD_VECTOR_FLOPS_FACTOR` × its forward FLOPs.
    """
    if isinstance(op, GemmOp):
        g = op.gemm
        # The gradients are written in the forward output's format (Transformer Engine's dgrad and wgrad GEMMs take
        # the activation dtype as out_dtype, AQT's backward dots dequantize to it: see eight_bit_training)
        grad_a = dataclasses.replace(
            op, name=f"{op.name}.grad_a", gemm=Gemm(m=g.m, n=g.k, k=g.n, dtype=g.dtype, output_dtype=g.output_dtype),
            stage="backward", a_offchip=op.c_offchip, b_offchip=op.b_offchip, c_offchip=op.a_offchip)
        grad_b = dataclasses.replace(
            op, name=f"{op.name}.grad_b", gemm=Gemm(m=g.k, n=g.n, k=g.m, dtype=g.dtype, output_dtype=g.output_dtype),
            stage="backward", a_offchip=op.a_offchip, b_offchip=op.c_offchip, c_offchip=op.b_offchip)
        return grad_a, grad_b
    return (dataclasses.replace(
        op, name=f"{op.name}.grad", stage="backward",
        num_flops=BACKWARD_VECTOR_FLOPS_FACTOR * op.num_flops,
        num_transcendentals=0,  # the backward reuses saved values (e.g. the softmax output)
        read_bytes=op.read_bytes + op.written_bytes, written_bytes=op.read_bytes),)


@dataclass(frozen=True, kw_only=True)
class ModelStep:
    """One step of a model, as the op list the performance model maps onto a chip.

    ``kind`` is ``"forward"``, ``"training"`` (forward + backward + optimizer), ``"prefill"`` or ``"decode"``.
    ``num_tokens`` is the number of tokens the step processes: batch × seq_len for training and prefill, batch for
    one decode step. ``batch``, ``seq_len`` (new tokens per sequence) and ``kv_len`` (positions attended to)
    record the shape.
    """

    name: str
    kind: str
    ops: tuple[Op, ...]
    num_tokens: int
    batch: int
    seq_len: int
    kv_len: int

    @property
    def gemm_ops(self) -> tuple[GemmOp, ...]:
        return tuple(op for op in self.ops if isinstance(op, GemmOp))

    @property
    def vector_ops(self) -> tuple[VectorOp, ...]:
        return tuple(op for op in self.ops if isinstance(op, VectorOp))

    @property
    def total_flops(self) -> int:
        """Everything the hardware executes: GEMMs and vector ops, recomputation included."""
        return sum(op.total_flops for op in self.ops)

    @property
    def model_flops(self) -> int:
        """Matmul FLOPs of forward + backward, without recomputation: the numerator of MFU (PaLM, App. B)."""
        return sum(op.total_flops for op in self.gemm_ops if op.stage in ("forward", "backward"))

    @property
    def hardware_flops(self) -> int:
        """Matmul FLOPs including recomputation: the numerator of hardware FLOPs utilization (HFU)."""
        return sum(op.total_flops for op in self.gemm_ops)

    @property
    def vector_flops(self) -> int:
        return sum(op.total_flops for op in self.vector_ops)

    @property
    def model_flops_per_token(self) -> float:
        return self.model_flops / self.num_tokens

    @property
    def total_bytes(self) -> int:
        """Compulsory off-chip traffic of all ops, as if nothing stayed on chip between ops."""
        return sum(op.total_bytes for op in self.ops)

    def flops_by(self, attribute: str) -> dict[str, int]:
        """Total FLOPs grouped by ``"phase"``, ``"stage"`` or ``"name"``, in first-seen order."""
        attribute = one_of("attribute", attribute, ("phase", "stage", "name"))
        return totals_by(self.ops, key=lambda op: getattr(op, attribute), value=lambda op: op.total_flops)

    def table(self, ops: Iterable[Op] | None = None) -> str:
        """A Markdown table of the ops: name, stage, phase, shape, count, FLOPs and bytes (all instances)."""
        rows = [[op.name, op.stage, op.phase, op.shape(), op.count, op.total_flops, op.total_bytes]
                for op in (self.ops if ops is None else ops)]
        return markdown_table(["op", "stage", "phase", "shape (m×n×k)", "count", "FLOPs", "bytes"], rows)
