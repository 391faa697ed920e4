"""What a serving engine does where a published run is silent: its memory shares and its scheduler's batch cap.

A server runs at most as many requests at once as its scheduler allows (vLLM's ``max_num_seqs``, TensorRT-LLM's
``max_batch_size``), however many are queued, and at most as many as its KV cache holds. The defaults, and the
spellings of the setting that overrides them, are sourced data (``chiplab/data/serving/engines.toml``, one table per
engine with the file and version each value was read from); this module reads them and answers two questions for a
run: which engine served it (:func:`engine_for`) and which cap applied (:func:`scheduler_cap`: the stated setting,
else the engine's default for that chip).
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from dataclasses import dataclass
from importlib import resources

from chiplab._checks import fraction, instance_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.toml_records import only_keys, parse_toml, table_of

_REQUIRED = {"id", "matches", "versions", "total_memory_fraction", "kv_free_memory_fraction", "memory_source",
             "max_running_requests", "cap_settings", "cap_source", "accessed"}
_OPTIONAL = {"note", "max_running_requests_large_memory", "large_memory_min_bytes", "large_memory_excluded_chips",
             "reserved_tokens", "reserved_tokens_large_memory", "reserve_settings", "reserve_source"}


@dataclass(frozen=True)
class ServingEngine:
    """One serving engine's defaults (see ``chiplab/data/serving/engines.toml`` for each key's meaning)."""

    id: str
    matches: str
    versions: str
    total_memory_fraction: float
    kv_free_memory_fraction: float
    memory_source: str
    max_running_requests: int
    cap_settings: tuple[str, ...]
    cap_source: str
    accessed: datetime.date
    note: str = ""
    max_running_requests_large_memory: int | None = None
    large_memory_min_bytes: int | None = None
    large_memory_excluded_chips: tuple[str, ...] = ()
    reserved_tokens: int = 0
    reserved_tokens_large_memory: int | None = None
    reserve_settings: tuple[str, ...] = ()
    reserve_source: str = ""

    def large_memory(self, chip: Chip) -> bool:
        """Whether the engine takes its large-memory defaults on this chip: its HBM reaches the threshold and its id
        contains none of the excluded texts (vLLM: 70 GiB, not an A100)."""
        threshold, capacity = self.large_memory_min_bytes, chip.hbm.capacity_bytes
        if threshold is None or capacity is None:
            return False
        return capacity >= threshold and not any(text in chip.id for text in self.large_memory_excluded_chips)

    def default_cap(self, chip: Chip) -> int:
        """The scheduler's default cap on this chip (the large-memory one where :meth:`large_memory`)."""
        large = self.max_running_requests_large_memory
        return large if large is not None and self.large_memory(chip) else self.max_running_requests

    def default_reserved_tokens(self, chip: Chip) -> int:
        """The tokens of the forward pass the engine profiles by default before sizing its KV cache (0: none)."""
        large = self.reserved_tokens_large_memory
        return large if large is not None and self.large_memory(chip) else self.reserved_tokens


def _engine(where: str, raw: object) -> ServingEngine:
    table = table_of(where, raw)
    only_keys(where, table, _REQUIRED | _OPTIONAL, _REQUIRED)
    try:
        engine = ServingEngine(**{**table, "cap_settings": tuple(table["cap_settings"]),
                                  "large_memory_excluded_chips": tuple(table.get("large_memory_excluded_chips", ())),
                                  "reserve_settings": tuple(table.get("reserve_settings", ()))})
        fraction("total_memory_fraction", engine.total_memory_fraction, allow_zero=False)
        fraction("kv_free_memory_fraction", engine.kv_free_memory_fraction, allow_zero=False)
        positive_int("max_running_requests", engine.max_running_requests)
        if (engine.max_running_requests_large_memory is None) != (engine.large_memory_min_bytes is None):
            raise ChiplabInputError("max_running_requests_large_memory and large_memory_min_bytes go together")
    except (TypeError, ChiplabInputError) as exc:
        raise ChiplabInputError(f"{where}: {exc}") from None
    if not isinstance(engine.accessed, datetime.date) or not engine.cap_settings:
        raise ChiplabInputError(f"{where}: needs an accessed date and at least one cap setting spelling")
    return engine


@functools.lru_cache(maxsize=1)
def serving_engines() -> tuple[ServingEngine, ...]:
    """Every engine of ``chiplab/data/serving/engines.toml``, in file order (the first match wins)."""
    path = resources.files("chiplab").joinpath("data", "serving", "engines.toml")
    origin = "chiplab/data/serving/engines.toml"
    raw = parse_toml(path.read_text(), origin).get("engine", [])
    return tuple(_engine(f"{origin}: engine {index + 1}", entry) for index, entry in enumerate(raw))


def engine_for(software: str) -> ServingEngine | None:
    """The engine whose ``matches`` text is in a run's software description (lower case), or None."""
    text = instance_of("software", software, str, "a run's software description such as 'vLLM 0.6.4'").lower()
    return next((engine for engine in serving_engines() if engine.matches in text), None)


def _stated(settings: tuple[str, ...], texts: tuple[str, ...]) -> int | None:
    for text in texts:
        instance_of("texts", text, str, "a run's software or where text such as '--max-num-seqs 256'")
        for setting in settings:
            found = re.search(re.escape(setting.lower()) + r"[ =:]*(\d+)", text.lower())
            if found:
                return int(found.group(1))
    return None


def stated_cap(engine: ServingEngine, *texts: str) -> int | None:
    """The cap a run states with one of the engine's setting spellings followed by a number ("--max-num-seqs 256",
    "max num seqs 3200"), searched in each text in turn; None where none does."""
    return _stated(engine.cap_settings, texts)


def reserved_tokens(engine: ServingEngine, chip: Chip, *texts: str) -> tuple[int, str]:
    """(tokens, where they come from) of the forward pass the engine profiles before sizing its KV cache: the
    token budget the run states ("--max-num-batched-tokens 131072"), else the engine's default on ``chip``."""
    tokens = _stated(engine.reserve_settings, texts) if engine.reserve_settings else None
    if tokens is not None:
        return tokens, f"profiled forward of {tokens} tokens (stated)"
    tokens = engine.default_reserved_tokens(chip)
    return tokens, f"profiled forward of {tokens} tokens ({engine.id} default)" if tokens else "no profiled forward"


def scheduler_cap(engine: ServingEngine, chip: Chip, *texts: str) -> tuple[int, str]:
    """(cap, where it comes from) for a run on ``chip`` described by ``texts`` (its software and where fields)."""
    cap = stated_cap(engine, *texts)
    if cap is not None:
        return cap, f"{engine.id} cap stated: {cap}"
    cap = engine.default_cap(chip)
    return cap, f"{engine.id} default cap {cap} ({engine.versions})"


def trtllm_bench_limits(engine: ServingEngine, kv_requests: int, input_len: int, output_len: int) -> tuple[int, int]:
    """(max_batch_size, max_num_tokens) trtllm-bench picks when the run sets neither (``finetune_setting`` in
    ``tensorrt_llm/bench/build/tuning.py``, then ``get_settings`` in ``bench/benchmark/utils/general.py`` without
    chunked prefill). ``kv_requests``: its estimate of the requests whose KV cache fits, the same arithmetic as
    chiplab's fit (they agree within one request on every TRT-LLM run of the record); capped at the engine's
    ``max_running_requests`` (4096) and rounded UP: to 32s (at least 64) below 256, 128s below 1024, else 256s.
    Tokens: requests x (1 + ISL/OSL), at most 32768, rounded up to 256s (at least 2048) below 4096, 512s below 8192,
    else 1024s; without chunked prefill at least ISL + max_batch_size."""
    raw_requests = min(positive_int("kv_requests", kv_requests), engine.max_running_requests)
    step = 32 if raw_requests < 256 else 128 if raw_requests < 1024 else 256
    max_batch_size = max(64 if step == 32 else 0, step * -(-raw_requests // step))
    raw_tokens = min(raw_requests * (1 + positive_int("input_len", input_len) / positive_int("output_len", output_len)),
                     32768)
    token_step = 256 if raw_tokens < 4096 else 512 if raw_tokens < 8192 else 1024
    max_num_tokens = max(2048 if token_step == 256 else 0, token_step * math.ceil(raw_tokens / token_step))
    return max_batch_size, max(max_num_tokens, input_len + max_batch_size)


def padded_graph_batch(batch: int, graph_batch_sizes: tuple[int, ...], max_batch_size: int,
                       max_num_tokens: int) -> int:
    """The batch a decode step runs once padded to a captured CUDA graph: the smallest captured size that holds
    ``batch``, else ``batch`` (no graph: eager). Captured: the sizes given that fit min(max_batch_size,
    max_num_tokens), plus that bound itself where a larger size was given (``_filter_cuda_graph_batch_sizes`` in
    ``tensorrt_llm/_torch/pyexecutor/model_engine.py``: "padding to max_cuda_graph_bs is acceptable")."""
    batch = positive_int("batch", batch)
    bound = min(positive_int("max_batch_size", max_batch_size), positive_int("max_num_tokens", max_num_tokens))
    instance_of("graph_batch_sizes", graph_batch_sizes, tuple, "a tuple of batch sizes such as (1, 2, 4, 8)")
    graph_batch_sizes = tuple(positive_int("graph_batch_sizes", size) for size in graph_batch_sizes)
    captured = sorted({size for size in graph_batch_sizes if size <= bound}
                      | ({bound} if any(size > bound for size in graph_batch_sizes) else set()))
    return next((size for size in captured if size >= batch), batch)
