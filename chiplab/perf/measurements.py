"""The measurement record: published measurements as sourced data (``chiplab/data/measurements/``).

Two kinds, kept apart on purpose:

* :class:`MicroBenchmark` — achievable GEMM throughput, memory bandwidth, collective bandwidth/latency and
  host↔device bandwidth on one chip or one system. Calibration may be *fitted* to these.
* :class:`EndToEndRun` — a whole training or serving run (a paper, MLPerf, a vendor benchmark page). These are for
  *validation only*: a model fitted to them would only prove it can memorise them.

Every entry names its source, where in it the number sits, when it was read, the setup exactly as published (a
field the source does not give is the text ``"not stated"``, never a guess) and its measured values in SI with the
unit in the key, next to the text as printed. ``chiplab/data/measurements/README.md`` explains the layout.

>>> record = load_measurements()
>>> len(record.benchmarks) >= 40 and len(record.runs) >= 30
True
>>> get_measurement("mamf_h100_sxm_bf16").measured["flops_per_s"]
794500000000000.0
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

from chiplab._checks import instance_of, one_of
from chiplab._lookup import lookup, normalize_name
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.provenance import Source
from chiplab.hardware.toml_records import only_keys, parse_toml, source_of, sources_from_toml, table_of
from chiplab.perf._measured_units import check_published, dimension_of
from chiplab.perf._measurement_fields import check_keys, chip_id_field, count_field, text_field
from chiplab.perf._measurement_types import (
    FAMILIES,
    NOT_IN_CATALOG,
    NOT_STATED,
    EndToEndRun,
    MeasuredAlternative,
    MeasurementRecord,
    MicroBenchmark,
    _Entry,
)
from chiplab.workloads.presets import list_models

__all__ = [
    "BENCHMARK_KINDS",
    "FAMILIES",
    "NOT_IN_CATALOG",
    "NOT_STATED",
    "WORKLOADS",
    "EndToEndRun",
    "MeasuredAlternative",
    "MeasurementRecord",
    "MicroBenchmark",
    "end_to_end_runs",
    "get_measurement",
    "load_measurements",
    "micro_benchmarks",
    "read_measurements",
]

SOURCES_FILE = "_sources.toml"
BENCHMARK_KINDS = ("gemm", "memory_bandwidth", "collective", "host_device")
WORKLOADS = ("training", "serving")

_COMMON = {"id", "source", "where", "accessed", "chip", "num_chips", "system", "software", "measured",
           "as_published"}
_OPTIONAL = {"note", "alternatives", "choice"}
_BENCHMARK_SETUP = {"kind", "dtype", "method"}
_KIND_SETUP = {"gemm": {"m", "n", "k", "shape_class"}, "collective": {"collective", "message_bytes", "algorithm"},
               "memory_bandwidth": {"kernel_class"}, "host_device": {"direction", "message_bytes"}}
_OPTIONAL_SETUP = {"m", "n", "k", "shape_class", "kernel_class"}  # a GEMM says m, n, k or its shape class
# What a memory-bandwidth entry's kernel streams: STREAM-like arrays (the default) or decode attention over a KV cache
# (the record's words; calibration.MEMORY_KERNEL_CLASSES names the classes the fit applies).
RECORDED_KERNEL_CLASSES = ("stream", "kv_cache_attention")
_TRAINING_SETUP = {"model", "model_as_published", "precision", "tensor_parallel", "pipeline_parallel",
                   "data_parallel", "sharding", "pipeline_schedule", "micro_batch", "global_batch", "seq_len",
                   "recompute"}
_SERVING_SETUP = {"model", "model_as_published", "precision", "tensor_parallel", "batch", "input_tokens",
                  "output_tokens"}
_RUN_OPTIONAL = {"context_parallel", "expert_parallel", "concurrency", "needs_model", "train_tokens", "eval_tokens",
                 "num_evals"}
_COUNT_FIELDS = {"num_chips", "m", "n", "k", "message_bytes", "tensor_parallel", "pipeline_parallel",
                 "data_parallel", "micro_batch", "global_batch", "seq_len", "batch", "input_tokens", "output_tokens",
                 "context_parallel", "expert_parallel", "concurrency", "train_tokens", "eval_tokens", "num_evals"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def _measured(where: str, raw: dict[str, Any], sources: Mapping[str, Source]) -> dict[str, Any]:
    measured = table_of(f"{where}: field 'measured'", raw["measured"])
    published = table_of(f"{where}: field 'as_published'", raw["as_published"])
    if not measured:
        raise ChiplabInputError(f"{where}: field 'measured' is empty; give at least one measured value")
    for key in sorted(set(published) - set(measured)):
        raise ChiplabInputError(f"{where}: field 'as_published' has {key!r}, which is not a measured quantity")
    values = {}
    for key, value in measured.items():
        field = f"{where}: field 'measured.{key}'"
        try:
            dimension_of(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or value <= 0:
                raise ChiplabInputError(f"must be a finite number > 0 in SI units; got {value!r}")
            if key not in published:
                raise ChiplabInputError("has no as_published text (the figure as the source printed it)")
            check_published(key, float(value), published[key])
        except ChiplabInputError as exc:
            raise ChiplabInputError(f"{field}: {exc}") from None
        values[key] = float(value)
    alternatives = []
    for i, alt in enumerate(raw.get("alternatives", [])):
        alt_where = f"{where}: field 'alternatives[{i}]'"
        alt = table_of(alt_where, alt)
        only_keys(alt_where, alt, {"quantity", "value", "source", "note"}, {"quantity", "value", "source"})
        one_of(f"{alt_where} quantity", alt["quantity"], tuple(values))
        alternatives.append(MeasuredAlternative(quantity=alt["quantity"], value=float(alt["value"]),
                                                source=source_of(alt_where, alt["source"], sources),
                                                note=alt.get("note", "")))
    if alternatives and not str(raw.get("choice", "")).strip():
        raise ChiplabInputError(f"{where}: field 'choice' must say why the measured value was preferred over "
                                f"the {len(alternatives)} alternative(s)")
    return {"measured": MappingProxyType(values), "as_published": MappingProxyType(dict(published)),
            "alternatives": tuple(alternatives)}


def _common(where: str, raw: dict[str, Any], sources: Mapping[str, Source], origin: str) -> dict[str, Any]:
    if not isinstance(raw["accessed"], date):
        raise ChiplabInputError(f"{where}: field 'accessed' must be a date (YYYY-MM-DD); got {raw['accessed']!r}")
    return {"id": raw["id"], "chip": chip_id_field(where, raw["chip"]),
            "num_chips": count_field(where, "num_chips", raw["num_chips"]),
            "system": text_field(where, "system", raw["system"]),
            "software": text_field(where, "software", raw["software"]),
            "source": source_of(where, raw["source"], sources), "where": text_field(where, "where", raw["where"]),
            "accessed": raw["accessed"], "note": raw.get("note", ""), "choice": raw.get("choice", ""),
            "file": origin, **_measured(where, raw, sources)}


def _setup(where: str, raw: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {f: (count_field(where, f, raw[f]) if f in _COUNT_FIELDS else text_field(where, f, raw[f]))
            for f in fields if f in raw}


def _benchmark(where: str, raw: dict[str, Any], sources: Mapping[str, Source], origin: str) -> MicroBenchmark:
    kind = raw.get("kind")
    if kind not in BENCHMARK_KINDS:
        raise ChiplabInputError(f"{where}: field 'kind' must be one of {', '.join(BENCHMARK_KINDS)}; got {kind!r}")
    specific = _KIND_SETUP[kind]
    required = _COMMON | _BENCHMARK_SETUP | (specific - _OPTIONAL_SETUP)
    check_keys(where, raw, required, _OPTIONAL | specific)
    if "kernel_class" in raw:
        one_of(f"{where}: field 'kernel_class'", raw["kernel_class"], RECORDED_KERNEL_CLASSES)
    if kind == "gemm" and not ({"m", "n", "k"} <= set(raw) or "shape_class" in raw):
        raise ChiplabInputError(f"{where}: missing setup field 'm', 'n', 'k' (or 'shape_class'): a GEMM "
                                f"benchmark must say its shape")
    return MicroBenchmark(**_common(where, raw, sources, origin), **_setup(where, raw, _BENCHMARK_SETUP | specific))


def _run(where: str, raw: dict[str, Any], sources: Mapping[str, Source], origin: str) -> EndToEndRun:
    workload = raw.get("workload")
    if workload not in WORKLOADS:
        raise ChiplabInputError(f"{where}: field 'workload' must be one of {', '.join(WORKLOADS)}; got {workload!r}")
    setup = _TRAINING_SETUP if workload == "training" else _SERVING_SETUP
    check_keys(where, raw, _COMMON | setup | {"workload"}, _OPTIONAL | _RUN_OPTIONAL)
    model = raw["model"]
    if model == NOT_IN_CATALOG:
        if not str(raw.get("needs_model", "")).strip():
            raise ChiplabInputError(f"{where}: field 'needs_model' must name the model to add to "
                                    f"chiplab/data/models/ when model = {NOT_IN_CATALOG!r}")
    elif model not in list_models():
        known = list_models()
        try:
            found = lookup(model, {normalize_name(m): m for m in known}, what="model", known=lambda: known)
        except ChiplabInputError as exc:
            raise ChiplabInputError(f"{where}: field 'model': {exc} (or {NOT_IN_CATALOG!r} with needs_model)") from None
        raise ChiplabInputError(f"{where}: field 'model' must be the catalog id {found!r}, not {model!r}")
    fields = _setup(where, raw, setup | _RUN_OPTIONAL)
    return EndToEndRun(**_common(where, raw, sources, origin), workload=workload, **fields)


def _entries(path_text: str, origin: str, sources: Mapping[str, Source]) -> list[MicroBenchmark | EndToEndRun]:
    table_name, build = ("benchmark", _benchmark) if origin.startswith("micro_") else ("run", _run)
    data = parse_toml(path_text, origin)
    only_keys(origin, data, {table_name})
    entries: list[MicroBenchmark | EndToEndRun] = []
    for i, raw in enumerate(data.get(table_name, [])):
        raw = table_of(f"{origin}: [[{table_name}]] #{i + 1}", raw)
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not _ID.match(entry_id):
            raise ChiplabInputError(f"{origin}: [[{table_name}]] #{i + 1}: field 'id' must be lower-case letters, "
                                    f"digits and '_'; got {entry_id!r}")
        entries.append(build(f"{origin}: entry {entry_id!r}", raw, sources, origin))
    return entries


def read_measurements(directory: str | PathLike[str]) -> MeasurementRecord:
    """Read and check every ``micro_*.toml`` and ``runs_*.toml`` file in ``directory`` (with its ``_sources.toml``).

    Any problem raises :class:`ChiplabInputError` naming the file, the entry and the field.
    """
    instance_of("directory", directory, (str, PathLike), "the path of a folder of measurement TOML files")
    folder = Path(directory)
    if not (folder / SOURCES_FILE).is_file():  # False, not an error, for a path with a NUL byte
        raise ChiplabInputError(f"measurement folder {str(folder)!r} has no {SOURCES_FILE}")
    sources = sources_from_toml(_read(folder / SOURCES_FILE), SOURCES_FILE)
    entries: list[MicroBenchmark | EndToEndRun] = []
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith(("micro_", "runs_")):
            entries += _entries(_read(path), path.name, sources)
        elif not path.name.startswith("_"):
            raise ChiplabInputError(f"{path.name}: measurement files are named micro_*.toml (micro-benchmarks) "
                                    f"or runs_*.toml (end-to-end runs)")
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            raise ChiplabInputError(f"{entry.file}: entry {entry.id!r}: field 'id' is already used in {seen[entry.id]}")
        seen[entry.id] = entry.file
    return MeasurementRecord(benchmarks=tuple(e for e in entries if isinstance(e, MicroBenchmark)),
                             runs=tuple(e for e in entries if isinstance(e, EndToEndRun)))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # unreadable, a folder named *.toml, or not UTF-8
        why = getattr(exc, "strerror", None) or exc
        raise ChiplabInputError(f"cannot read measurement file {str(path)!r}: {why}") from None


@functools.lru_cache(maxsize=1)
def load_measurements() -> MeasurementRecord:
    """The shipped record (read once; cached)."""
    return read_measurements(Path(str(resources.files("chiplab").joinpath("data", "measurements"))))


def _matches(entry: _Entry, chip: str | None, family: str | None) -> bool:
    if family is not None and entry.family != one_of("family", family, FAMILIES):
        return False
    return chip is None or entry.chip == load_chip(chip).id


def micro_benchmarks(kind: str | None = None, *, chip: str | None = None,
                     family: str | None = None) -> tuple[MicroBenchmark, ...]:
    """Micro-benchmarks, optionally of one ``kind`` (``"gemm"``...), one chip (id or alias) or one family."""
    if kind is not None:
        one_of("kind", kind, BENCHMARK_KINDS)
    return tuple(b for b in load_measurements().benchmarks
                 if (kind is None or b.kind == kind) and _matches(b, chip, family))


def end_to_end_runs(workload: str | None = None, *, chip: str | None = None,
                    family: str | None = None) -> tuple[EndToEndRun, ...]:
    """End-to-end runs, optionally only ``"training"`` or ``"serving"``, one chip or one family."""
    if workload is not None:
        one_of("workload", workload, WORKLOADS)
    return tuple(r for r in load_measurements().runs
                 if (workload is None or r.workload == workload) and _matches(r, chip, family))


def get_measurement(entry_id: str) -> MicroBenchmark | EndToEndRun:
    """One entry by id (case, '-' and '_' do not matter); an unknown id lists the closest ids."""
    record = load_measurements()
    by_id: dict[str, MicroBenchmark | EndToEndRun] = {b.id: b for b in record.benchmarks}
    by_id.update({r.id: r for r in record.runs})
    found = lookup(entry_id, {normalize_name(i): i for i in by_id}, what="measurement",
                   known=lambda: [f"{len(by_id)} ids, listed by load_measurements()"], example="mamf_h100_sxm_bf16")
    return by_id[found]
