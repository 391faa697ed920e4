"""A decoder-only transformer language model described by its config, and its parameter count.

The symbols used in the docstrings (those of Kaplan et al. 2020, Table 1, and PaLM, Appendix B):
L = ``num_layers``, d = ``d_model``, H = ``num_heads``, Q = ``head_dim``, KV = ``num_kv_heads``, f = ``d_ff``,
V = ``vocab_size``, T = sequence length. Grouped-query attention (Ainslie et al. 2023) shares each key/value
head among H/KV query heads. KV = H is ordinary multi-head attention and KV = 1 is multi-query attention
(Shazeer 2019).

The op lists (training step, prefill, decode) are built by :mod:`chiplab.workloads.llm_steps` and the memory
footprint by :mod:`chiplab.workloads.footprint`. The methods here are shortcuts to them.

>>> tiny = TransformerConfig(num_layers=2, d_model=64, num_heads=4, d_ff=256, vocab_size=1000)
>>> tiny.head_dim, tiny.num_kv_heads, tiny.num_params
(16, 4, 259392)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from chiplab._checks import one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.workloads import footprint, forward_pass, llm_steps
from chiplab.workloads.gemm import DTYPE_BITS, DTYPE_BYTES, Gemm

NORMS = ("rmsnorm", "layernorm")
ACTIVATIONS = ("silu", "gelu", "relu")
POSITION_EMBEDDINGS = ("rope", "learned", "none")


class _DerivedIfNone:
    """A config field the constructor may leave out (None): ``__post_init__`` then derives it from the others.

    A descriptor-typed field (the dataclasses docs) so that the constructor takes ``int | None`` while every
    reader, the type checker included, sees the resolved ``int``: no casts downstream. The repr, equality and
    ``dataclasses.replace`` read the resolved value, as they did when the field was a plain one.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, config: None, owner: type | None = None) -> None: ...
    @overload
    def __get__(self, config: object, owner: type | None = None) -> int: ...
    def __get__(self, config: object | None, owner: type | None = None) -> int | None:
        if config is None:  # the class attribute: the dataclass's default, "not given"
            return None
        value: int = vars(config)[self._name]
        return value

    if TYPE_CHECKING:
        # For the type checker only: what the constructor accepts. Without a __set__ at run time the descriptor is
        # a non-data one, so the instance's own value shadows it and reads cost what a plain field's do (these
        # two are read in every op-list builder; a data descriptor made each read ~40x slower).
        def __set__(self, config: object, value: int | None) -> None: ...


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    """A decoder-only transformer. ``head_dim`` defaults to d_model / num_heads, ``num_kv_heads`` to num_heads.

    ``gated_mlp`` with ``activation="silu"`` is SwiGLU, with ``"gelu"`` GeGLU (Shazeer 2020): three weight
    matrices (gate, up, down) instead of two. ``parallel_block`` is PaLM's y = x + MLP(LN(x)) + Attn(LN(x)), with
    one norm per layer. ``bias`` adds biases to every linear layer and to LayerNorm (GPT-2/3). ``tied_embeddings``
    uses the input embedding as the output projection too. ``max_seq_len`` is the context window; it sets the
    size of ``learned`` position embeddings.
    """

    num_layers: int
    d_model: int
    num_heads: int
    d_ff: int
    vocab_size: int
    num_kv_heads: _DerivedIfNone = _DerivedIfNone()  # None: num_heads (multi-head attention)
    head_dim: _DerivedIfNone = _DerivedIfNone()  # None: d_model / num_heads
    gated_mlp: bool = True
    activation: str = "silu"
    norm: str = "rmsnorm"
    position_embedding: str = "rope"
    tied_embeddings: bool = False
    bias: bool = False
    parallel_block: bool = False
    max_seq_len: int = 8192
    dtype: str = "bf16"
    weight_dtype: str | None = None  # weights stored narrower than the arithmetic (int8/fp8/int4: see Gemm)
    name: str = "custom"
    source: str = ""

    def __post_init__(self) -> None:
        where = f"model {self.name!r}"
        for field in ("num_layers", "d_model", "num_heads", "d_ff", "vocab_size", "max_seq_len"):
            object.__setattr__(self, field, positive_int(f"{field} ({where})", getattr(self, field)))
        head_dim: int | None = vars(self)["head_dim"]  # as passed to the constructor: None means derive it
        if head_dim is None:
            if self.d_model % self.num_heads:
                raise ChiplabInputError(
                    f"{where}: num_heads ({self.num_heads}) must divide d_model ({self.d_model}) when head_dim "
                    f"is not given; pass head_dim explicitly or choose num_heads among "
                    f"{_divisors_near(self.d_model, self.num_heads)}")
            head_dim = self.d_model // self.num_heads
        object.__setattr__(self, "head_dim", positive_int(f"head_dim ({where})", head_dim))
        num_kv_heads: int | None = vars(self)["num_kv_heads"]
        object.__setattr__(self, "num_kv_heads", positive_int(
            f"num_kv_heads ({where})", self.num_heads if num_kv_heads is None else num_kv_heads))
        if self.num_heads % self.num_kv_heads:
            raise ChiplabInputError(
                f"{where}: num_kv_heads ({self.num_kv_heads}) must divide num_heads ({self.num_heads}) so that "
                f"each key/value head serves the same number of query heads; try one of "
                f"{_divisors_near(self.num_heads, self.num_kv_heads)}")
        object.__setattr__(self, "activation", one_of(f"activation ({where})", self.activation, ACTIVATIONS))
        object.__setattr__(self, "norm", one_of(f"norm ({where})", self.norm, NORMS))
        object.__setattr__(self, "position_embedding", one_of(
            f"position_embedding ({where})", self.position_embedding, POSITION_EMBEDDINGS))
        object.__setattr__(self, "dtype", one_of(f"dtype ({where})", self.dtype, DTYPE_BYTES))
        if self.weight_dtype is not None:  # the GEMM's rules, checked once: narrower, integer for integer math
            object.__setattr__(self, "weight_dtype",
                               Gemm(m=1, n=1, k=1, dtype=self.dtype, weight_dtype=self.weight_dtype).weight_dtype)
        for field in ("gated_mlp", "tied_embeddings", "bias", "parallel_block"):
            if not isinstance(getattr(self, field), bool):
                raise ChiplabInputError(f"{where}: {field} must be true or false; got {getattr(self, field)!r}")

    # --- shapes ------------------------------------------------------------------------------------------------

    @property
    def q_dim(self) -> int:
        """Width of all query heads together: H·Q (= d_model for most models, not for PaLM's Q = 256)."""
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of all key (or all value) heads together: KV·Q."""
        return self.num_kv_heads * self.head_dim

    @property
    def group_size(self) -> int:
        """Query heads per key/value head: H/KV (1 for multi-head, H for multi-query attention)."""
        return self.num_heads // self.num_kv_heads

    @property
    def bytes_per_element(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def weight_bytes_per_param(self) -> float:
        """Bytes of one stored weight: ``weight_dtype``'s width if given (0.5 for int4), else ``dtype``'s."""
        return DTYPE_BITS[self.weight_dtype or self.dtype] / 8

    # --- parameters -------------------------------------------------------------------------------------------

    @property
    def num_attention_params_per_layer(self) -> int:
        """W_q (d × HQ), W_k and W_v (d × KV·Q each), W_o (HQ × d), plus their biases if any."""
        weights = 2 * self.d_model * self.q_dim + 2 * self.d_model * self.kv_dim
        biases = (self.q_dim + 2 * self.kv_dim + self.d_model) if self.bias else 0
        return weights + biases

    @property
    def num_mlp_params_per_layer(self) -> int:
        """Up (and gate) d × f and down f × d, plus biases if any."""
        num_in = 2 if self.gated_mlp else 1
        weights = (num_in + 1) * self.d_model * self.d_ff
        biases = (num_in * self.d_ff + self.d_model) if self.bias else 0
        return weights + biases

    @property
    def num_norm_params(self) -> int:
        """One norm's parameters: a gain (and a bias for LayerNorm with biases)."""
        return self.d_model * (2 if self.norm == "layernorm" and self.bias else 1)

    @property
    def num_params_per_layer(self) -> int:
        num_norms = 1 if self.parallel_block else 2
        return self.num_attention_params_per_layer + self.num_mlp_params_per_layer + num_norms * self.num_norm_params

    @property
    def num_embedding_params(self) -> int:
        """Token embedding V × d, learned position embedding T_max × d, and an untied output projection d × V."""
        token = self.vocab_size * self.d_model
        position = self.max_seq_len * self.d_model if self.position_embedding == "learned" else 0
        output = 0 if self.tied_embeddings else self.vocab_size * self.d_model
        return token + position + output

    @property
    def num_non_embedding_params(self) -> int:
        """Kaplan et al. (2020)'s N: every parameter except the vocabulary and position embeddings."""
        return self.num_layers * self.num_params_per_layer + self.num_norm_params  # + the final norm

    @property
    def num_params(self) -> int:
        """All parameters, the figure a model's paper or card quotes."""
        return self.num_non_embedding_params + self.num_embedding_params

    @property
    def num_matmul_params(self) -> int:
        """Weights that take part in a matrix multiply: the layers' matrices plus the output projection d × V.

        Each costs 2 FLOPs per token forward, so the forward GEMMs cost 2 × this per token (plus attention).
        With tied embeddings it is PaLM's N in 6N + 12·L·H·Q·T (the embedding matrix is used once, as the output
        projection). The input embedding is a table lookup, not a matmul.
        """
        num_matrices = 2 * self.d_model * (self.q_dim + self.kv_dim) + \
            (3 if self.gated_mlp else 2) * self.d_model * self.d_ff
        return self.num_layers * num_matrices + self.vocab_size * self.d_model

    def kv_cache_bytes(self, *, batch: int, context_len: int, bytes_per_element: int | None = None) -> int:
        """Bytes of the KV cache: 2 (K and V) · L · KV · Q · context_len · batch · bytes per element."""
        per_element = self.bytes_per_element if bytes_per_element is None else bytes_per_element
        return 2 * self.num_layers * self.kv_dim * positive_int("context_len", context_len) * \
            positive_int("batch", batch) * positive_int("bytes_per_element", per_element)

    # --- shortcuts to the op lists and the memory footprint -----------------------------------------------------
    # Each is the module function itself, so ``config.decode_step(batch=8, context_len=4096)`` is
    # ``llm_steps.decode_step(config, batch=8, context_len=4096)``: one signature, one docstring, one home.

    layer_ops = forward_pass.layer_ops  # forward ops of one layer
    forward_ops = llm_steps.forward_step  # the forward pass over whole sequences
    training_step = llm_steps.training_step  # forward + backward + optimizer
    prefill_step = llm_steps.prefill_step  # process a prompt and fill the KV cache
    decode_step = llm_steps.decode_step  # one new token per sequence against the KV cache
    training_memory = footprint.training_memory  # bytes per chip for training
    inference_memory = footprint.inference_memory  # bytes per chip for inference


def _divisors_near(n: int, wanted: int, how_many: int = 4) -> str:
    """The divisors of ``n`` closest to ``wanted``, for error messages."""
    divisors = [d for d in range(1, n + 1) if n % d == 0] if n <= 10**6 else [1, n]
    return ", ".join(str(d) for d in sorted(sorted(divisors, key=lambda d: abs(d - wanted))[:how_many]))
