"""The GEMM, chiplab's unit of work: C[m, n] = A[m, k] @ B[k, n]."""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.units import FORMAT_BITS

# Bytes per element of each format a GEMM may compute in (the whole-byte ones of chiplab.units.FORMAT_BITS).
DTYPE_BYTES = {dtype: FORMAT_BITS[dtype] // 8 for dtype in ("int8", "fp8", "bf16", "fp16", "tf32", "fp32", "int32",
                                                            "fp64")}
# Bits of every format a tensor may be *stored* in, including the 4-bit ones (two weights per byte): int4
# (AWQ/GPTQ-style weight-only quantisation; TPU v5p's int4 MXU mode) and fp4 (E2M1, the element format of NVIDIA's
# NVFP4 checkpoints, OCP MX spec v1.0; its block scales, one fp8 per 16 weights, are not counted). Arithmetic uses
# DTYPE_BYTES' formats.
DTYPE_BITS = {dtype: FORMAT_BITS[dtype] for dtype in (*DTYPE_BYTES, "int4", "fp4")}
INTEGER_DTYPES = ("int4", "int8", "int32")
ACCUMULATOR_DTYPES = ("fp32", "int32", "fp16", "bf16")


@dataclass(frozen=True, kw_only=True)
class Gemm:
    """C[m, n] = A[m, k] @ B[k, n].

    Precision, as mixed-precision kernels run it:

    * ``dtype``: the arithmetic format of the matrix unit, which is also how the activations A and the output C
      are stored (the chip's peak for this format times the GEMM's FLOPs is its compute time);
    * ``weight_dtype``: how B (the weights) is stored in memory, if narrower — int8, fp8 or int4 weights with bf16
      arithmetic ("W4A16", as AWQ or GPTQ serve models): B costs its narrow bytes in memory and is widened on chip
      before the matrix unit sees it. Storing B wider than the arithmetic, or float weights for integer
      arithmetic, is refused: no kernel would widen on the way in only to narrow again;
    * ``accumulator_dtype``: the format of partial sums (fp32 on every current matrix unit for float inputs,
      int32 for int8);
    * ``output_dtype``: how C is written, if not in ``dtype``. A scaled 8-bit GEMM converts its fp32/int32
      accumulator in its epilogue and writes the activations' format: Transformer Engine's FP8 ``general_gemm``
      takes ``out_dtype`` = the activation dtype (bf16), AQT dequantizes its int8 dots to bf16, and vLLM's and
      TensorRT-LLM's FP8 linear layers pass ``out_dtype`` = the model's dtype (sources in
      :mod:`chiplab.workloads.eight_bit_training`). None: C in ``dtype``.

    >>> g = Gemm(m=2, n=3, k=4)
    >>> g.num_macs, g.num_flops
    (24, 48)
    >>> Gemm(m=1, n=4096, k=4096, weight_dtype="int4").b_bytes    # 4-bit weights: two per byte
    8388608
    >>> Gemm(m=2, n=3, k=4, dtype="fp8", output_dtype="bf16").unique_bytes  # A, B 1 B each; C 2 B: 8 + 12 + 12
    32
    """

    m: int
    n: int
    k: int
    dtype: str = "bf16"
    weight_dtype: str | None = None
    accumulator_dtype: str | None = None
    output_dtype: str | None = None

    def __post_init__(self) -> None:
        for name in ("m", "n", "k"):
            object.__setattr__(self, name, positive_int(name, getattr(self, name)))
        object.__setattr__(self, "dtype", one_of("dtype", self.dtype, DTYPE_BYTES))
        if self.weight_dtype is not None:
            weight = one_of("weight_dtype", self.weight_dtype, DTYPE_BITS)
            object.__setattr__(self, "weight_dtype", None if weight == self.dtype else weight)
        if self.weight_dtype is not None:
            if DTYPE_BITS[self.weight_dtype] > DTYPE_BITS[self.dtype]:
                raise ChiplabInputError(
                    f"weight_dtype {self.weight_dtype!r} is wider than the arithmetic dtype {self.dtype!r}: store "
                    f"the weights in {self.dtype} or narrower ({', '.join(_narrower(self.dtype))})")
            if self.dtype in INTEGER_DTYPES and self.weight_dtype not in INTEGER_DTYPES:
                raise ChiplabInputError(f"{self.dtype} arithmetic needs integer weights; weight_dtype must be one "
                                        f"of {', '.join(_narrower(self.dtype))}; got {self.weight_dtype!r}")
        if self.accumulator_dtype is not None:
            object.__setattr__(self, "accumulator_dtype",
                               one_of("accumulator_dtype", self.accumulator_dtype, ACCUMULATOR_DTYPES))
        if self.output_dtype is not None:
            output = one_of("output_dtype", self.output_dtype, DTYPE_BYTES)
            object.__setattr__(self, "output_dtype", None if output == self.dtype else output)

    @property
    def num_macs(self) -> int:
        """Multiply-accumulates: m·n·k."""
        return self.m * self.n * self.k

    @property
    def num_flops(self) -> int:
        """FLOPs, counting a multiply-accumulate as two (the convention of vendor peak figures)."""
        return 2 * self.num_macs

    @property
    def bytes_per_element(self) -> int:
        """Bytes of an activation (A) element: the arithmetic format."""
        return DTYPE_BYTES[self.dtype]

    @property
    def output_bytes_per_element(self) -> int:
        """Bytes of an output (C) element: ``output_dtype``, else the arithmetic format."""
        return DTYPE_BYTES[self.output_dtype or self.dtype]

    @property
    def accumulator_bytes(self) -> int:
        """Bytes of a partial sum: the accumulator format, fp32 (int32 for integer arithmetic) unless given."""
        default = "int32" if self.dtype in INTEGER_DTYPES else "fp32"
        return DTYPE_BYTES[self.accumulator_dtype or default]

    def operand_bytes(self, num_a: int, num_b: int, num_c: int) -> int:
        """Bytes of ``num_a`` elements of A, ``num_b`` of B (at the weights' width) and ``num_c`` of C (at the
        output's width)."""
        bits_b = DTYPE_BITS[self.weight_dtype or self.dtype]
        return num_a * self.bytes_per_element + num_c * self.output_bytes_per_element + -(-num_b * bits_b // 8)

    @property
    def b_bytes(self) -> int:
        """Bytes of the whole B matrix as stored."""
        return self.operand_bytes(0, self.k * self.n, 0)

    @property
    def unique_bytes(self) -> int:
        """Bytes of A, B and C themselves: no schedule can move less between memory and the chip."""
        return self.operand_bytes(self.m * self.k, self.k * self.n, self.m * self.n)

    def dims(self) -> dict[str, int]:
        """The three dimensions by name, for the dataflow table."""
        return {"m": self.m, "n": self.n, "k": self.k}

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value!r}" for name, value in (("weight_dtype", self.weight_dtype),
                                                                    ("accumulator_dtype", self.accumulator_dtype),
                                                                    ("output_dtype", self.output_dtype))
                        if value is not None)
        return f"Gemm(m={self.m}, n={self.n}, k={self.k}, dtype={self.dtype!r}{extra})"

    def __str__(self) -> str:
        weights = f", {self.weight_dtype} weights" if self.weight_dtype else ""
        output = f", {self.output_dtype} output" if self.output_dtype else ""
        return f"GEMM m={self.m} n={self.n} k={self.k} ({self.dtype}{weights}{output})"


def _narrower(dtype: str) -> list[str]:
    integer = dtype in INTEGER_DTYPES
    return [name for name, bits in DTYPE_BITS.items() if bits <= DTYPE_BITS[dtype]
            and (name in INTEGER_DTYPES or not integer) and name != "tf32"]
