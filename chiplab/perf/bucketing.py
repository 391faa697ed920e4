"""Shape buckets: why a Neuron engine does the work of a longer sequence than the one it serves.

The Neuron compiler builds fixed-shape graphs ahead of time, so Transformers NeuronX (TNx) and NxD Inference (NxDI)
compile one graph per *bucket* and run every request on the smallest bucket that holds it:

* **Prefill (context encoding)** pads the prompt on the right up to the smallest context bucket >= its length
  (TNx ``NeuronModelBase._prepare_for_par_ctx_rhs_padding``; NxDI the same), so it runs that many tokens.
* **Decode (token generation)** at cache position p runs the graph of the smallest token bucket >= p + 1 tokens
  (TNx ``DecoderProgram.find_bucket_id``: ``npos >= length + 1``), which reads that many cache positions of every
  sequence and attends over them (masked), whatever the sequence's true length.
* The KV cache is allocated for the largest token bucket (``n_positions`` / ``seq_len``) per sequence.

The TNx developer guide says the same in words ("Bucketing": token generation buckets "determine the attention
lengths", by default "powers of 2 starting from 128 tokens ... up to sequence length", the last bucket
``n_positions`` "even if it is not a power of 2"; "By default, the context encoding buckets set to half of
output-token buckets"; "the smallest bucket which fits the input context will be used"): aws-neuron/aws-neuron-sdk
``archive/transformers-neuronx/transformers-neuronx-developer-guide.rst``, accessed 2026-12-08.

Default bucket ladders, when a setup names only the largest length:

* TNx (``bucket.token_sizes``, ``utils.power_of_two_bucket_sizes``): 128, 256, 512, ... doubling while below
  ``n_positions``, then ``n_positions``. Context buckets, unless ``context_length_estimate`` is given, are half of each
  token bucket (``bucket.context_sizes``). Source: aws-neuron/transformers-neuronx ``src/transformers_neuronx/
  bucket.py``, ``utils.py``, ``decoder.py``, ``base.py`` at 1ade6d7 (2024-12-26), accessed 2026-12-08.
* NxDI with ``enable_bucketing`` and no explicit buckets (``modules/autobucketing.py``, ``generate_buckets``):
  2**i for i from log2(128) up to but not including round(log2(largest)), then the largest; without
  ``enable_bucketing`` a single bucket, the largest. Context buckets end at ``max_context_length``, token buckets at
  ``seq_len``. Source: aws-neuron/neuronx-distributed-inference ``src/neuronx_distributed_inference/modules/
  autobucketing.py`` at 4bcdc54 (2026-07-28), accessed 2026-12-08.

A textbook case (TNx, ``n_positions`` 1152): token buckets 128, 256, 512, 1024, 1152; context buckets 64, 128, 256,
512, 576. A 128-token prompt prefills exactly 128 tokens; generating 1024 tokens after it, the decode steps at
lengths 129..256 run the 256 bucket (128 steps), 257..512 the 512 (256 steps), 513..1024 the 1024 (512 steps) and
1025..1152 the 1152 (128 steps): a mean of (128*256 + 256*512 + 512*1024 + 128*1152) / 1024 = 816 positions
attended per step, where a paged cache attends over 128 + 1025 / 2 = 640.5 on average.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from chiplab._checks import positive_int, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.workloads.activation_memory import MAX_TOKENS_PER_SEQUENCE

SMALLEST_BUCKET = 128  # both stacks start their default ladders at 128 tokens (sources above)


def _tokens(name: str, value: object) -> int:
    """A bucket length: a whole number of tokens no longer than a sequence chiplab estimates (a 1e400-token bucket
    would overflow the mean length's float)."""
    return positive_int_at_most(name, value, MAX_TOKENS_PER_SEQUENCE)


def tnx_buckets(largest: int) -> tuple[int, ...]:
    """TNx's default token buckets up to ``largest`` (``n_positions``): 128 doubling while below it, then it."""
    largest = _tokens("largest", largest)
    sizes, size = [], SMALLEST_BUCKET
    while size < largest:
        sizes.append(size)
        size *= 2
    return (*sizes, largest)


def nxdi_buckets(largest: int, smallest: int = SMALLEST_BUCKET) -> tuple[int, ...]:
    """NxDI's automatic buckets from ``smallest`` to ``largest`` (``generate_buckets``): powers of two from
    ``smallest`` up to but excluding 2**round(log2(largest)), then ``largest`` (so no bucket sits just below it); a
    ``largest`` below ``smallest`` is the one bucket, as ``generate_buckets`` gives it."""
    largest, smallest = _tokens("largest", largest), _tokens("smallest", smallest)
    if smallest == largest:
        return (largest,)
    return (*(2 ** i for i in range(int(math.log2(smallest)), round(math.log2(largest)))), largest)


def _ladder(name: str, buckets: tuple[int, ...]) -> tuple[int, ...]:
    if not isinstance(buckets, (tuple, list)) or not buckets:
        raise ChiplabInputError(f"{name} must be a non-empty tuple of token counts; got {buckets!r}")
    return tuple(sorted({_tokens(f"{name} entry", size) for size in buckets}))


@dataclass(frozen=True)
class Bucketing:
    """The fixed shapes an engine compiled: prefill (context-encoding) and decode (token-generation) lengths.

    ``prefill_buckets`` None: the prompt runs at its own length (no context bucketing)."""

    decode_buckets: tuple[int, ...]
    prefill_buckets: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "decode_buckets", _ladder("decode_buckets", self.decode_buckets))
        if self.prefill_buckets is not None:
            object.__setattr__(self, "prefill_buckets", _ladder("prefill_buckets", self.prefill_buckets))
            if self.prefill_buckets[-1] > self.decode_buckets[-1]:  # the prompt's K, V must fit the cache
                raise ChiplabInputError(f"prefill_buckets end at {self.prefill_buckets[-1]} tokens, beyond the "
                                        f"largest decode bucket {self.decode_buckets[-1]} (the cache length); "
                                        "allowed: prefill buckets at most that")

    @classmethod
    def tnx_default(cls, n_positions: int) -> Bucketing:
        """TNx's defaults for ``n_positions``: :func:`tnx_buckets` for decode, half of each for prefill."""
        decode = tnx_buckets(n_positions)
        return cls(decode_buckets=decode, prefill_buckets=tuple(max(1, size // 2) for size in decode))

    @property
    def cache_len(self) -> int:
        """Positions allocated per sequence: the largest decode bucket."""
        return self.decode_buckets[-1]

    def prefill_len(self, prompt_len: int) -> int:
        """Tokens a prompt of ``prompt_len`` is padded to: the smallest prefill bucket that holds it."""
        prompt_len = positive_int("prompt_len", prompt_len)
        if self.prefill_buckets is None:
            return prompt_len
        if prompt_len > self.prefill_buckets[-1]:
            raise ChiplabInputError(f"prompt_len {prompt_len} is longer than the largest prefill bucket "
                                    f"{self.prefill_buckets[-1]}; allowed: at most that")
        return self.prefill_buckets[bisect.bisect_left(self.prefill_buckets, prompt_len)]

    def mean_decode_len(self, prompt_len: int, output_len: int) -> float:
        """Mean positions attended per decode step over ``output_len`` steps after a ``prompt_len`` prompt: step j
        (0-based) holds prompt_len + j + 1 tokens and runs the smallest decode bucket that holds them."""
        prompt_len, output_len = positive_int("prompt_len", prompt_len), positive_int("output_len", output_len)
        last = prompt_len + output_len
        if last > self.cache_len:
            raise ChiplabInputError(f"prompt_len + output_len = {last} is longer than the largest decode bucket "
                                    f"{self.cache_len}; allowed: at most that")
        total, start = 0, prompt_len + 1  # lengths start..last, counted bucket by bucket (no loop over steps)
        for size in self.decode_buckets:
            if size >= start:
                end = min(size, last)
                total += (end - start + 1) * size
                start = end + 1
                if start > last:
                    break
        return total / output_len


__all__ = ["SMALLEST_BUCKET", "Bucketing", "nxdi_buckets", "tnx_buckets"]
