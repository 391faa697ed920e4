"""Named models from their papers and cards: one sourced TOML per model in ``chiplab/data/models/``.

Every value of a preset has a provenance entry, just as in the chip catalog. The entry names the source (paper and
table, or model card) and where in it the value sits. ``_sources.toml`` holds the URL and the access date.

>>> load_model("llama3-8b").num_kv_heads
8
>>> load_model("PaLM") is load_model("palm_540b")    # names ignore case and punctuation; loaded once
True
>>> list_models()
('gpt3_175b', 'llama2_70b', 'llama32_3b', 'llama3_8b', 'llama3_70b', 'llama3_405b', 'palm_540b')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from chiplab._checks import positive_int
from chiplab._lookup import add_names, lookup
from chiplab.errors import ChiplabInputError
from chiplab.hardware._frozen import FrozenMap
from chiplab.hardware.provenance import Provenance, Source
from chiplab.hardware.toml_records import parse_toml, sources_from_toml
from chiplab.hardware.toml_records import provenance_of as _provenance
from chiplab.workloads.transformer import TransformerConfig

SOURCES_FILE = "_sources.toml"
_TOP_KEYS = {"id", "display_name", "family", "aliases", "notes", "published_num_params", "pretraining_seq_len",
             "config", "provenance"}
_REQUIRED = {"id", "display_name", "family", "published_num_params", "config"}
_CONFIG_KEYS = {"num_layers", "d_model", "num_heads", "num_kv_heads", "head_dim", "d_ff", "vocab_size",
                "gated_mlp", "activation", "norm", "position_embedding", "tied_embeddings", "bias",
                "parallel_block", "max_seq_len"}


@dataclass(frozen=True, kw_only=True)
class ModelPreset:
    """A published model: its config, the parameter count its authors quote, and where each value comes from."""

    id: str
    display_name: str
    family: str
    config: TransformerConfig
    published_num_params: float
    provenance: Mapping[str, Provenance]
    pretraining_seq_len: int | None = None
    aliases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def num_params_error_fraction(self) -> float:
        """|counted − published| / published: how well the config reproduces the quoted size."""
        return abs(self.config.num_params - self.published_num_params) / self.published_num_params

    @property
    def sources(self) -> tuple[Source, ...]:
        """The distinct sources this preset cites, in first-cited order."""
        return tuple({p.source.id: p.source for p in self.provenance.values()}.values())


def _data_dir() -> Traversable:
    return resources.files("chiplab").joinpath("data", "models")


@functools.lru_cache(maxsize=1)
def load_model_sources() -> Mapping[str, Source]:
    """Every source the model presets cite, by id."""
    text = _data_dir().joinpath(SOURCES_FILE).read_text(encoding="utf-8")
    return sources_from_toml(text, f"models/{SOURCES_FILE}")


def preset_from_toml(text: str, origin: str, sources: Mapping[str, Source]) -> ModelPreset:
    """Build a preset from TOML text; unknown keys and values without provenance are errors naming ``origin``."""
    data = parse_toml(text, origin)
    unknown = set(data) - _TOP_KEYS
    missing = _REQUIRED - set(data)
    if unknown or missing:
        raise ChiplabInputError(f"{origin}: unknown keys {sorted(unknown)} / missing keys {sorted(missing)}; "
                                f"allowed keys are {', '.join(sorted(_TOP_KEYS))}")
    config_table = dict(data["config"])
    if set(config_table) - _CONFIG_KEYS:
        raise ChiplabInputError(f"{origin}: [config] has unknown keys {sorted(set(config_table) - _CONFIG_KEYS)}; "
                                f"allowed: {', '.join(sorted(_CONFIG_KEYS))}")
    provenance = {key: _provenance(f"{origin}: [provenance.{key!r}]", raw, sources)
                  for key, raw in data.get("provenance", {}).items()}
    sourced = {f"config.{key}" for key in config_table} | {"published_num_params"} | \
        ({"pretraining_seq_len"} if "pretraining_seq_len" in data else set())
    for key in sorted(sourced - set(provenance)):
        raise ChiplabInputError(f"{origin}: {key} has no [provenance.\"{key}\"] table; every value needs a source")
    for key in sorted(set(provenance) - sourced):
        raise ChiplabInputError(f"{origin}: [provenance.{key!r}] names no value of this model (a typo?)")
    main_source = provenance["config.num_layers"].source if "config.num_layers" in provenance else None
    try:
        config = TransformerConfig(name=data["display_name"], source=_cite(main_source), **config_table)
        seq_len = data.get("pretraining_seq_len")
        return ModelPreset(
            id=data["id"], display_name=data["display_name"], family=data["family"], config=config,
            published_num_params=float(data["published_num_params"]), provenance=FrozenMap(provenance),
            pretraining_seq_len=None if seq_len is None else positive_int("pretraining_seq_len", seq_len),
            aliases=tuple(data.get("aliases", ())), notes=tuple(data.get("notes", ())))
    except (ChiplabInputError, TypeError) as exc:
        raise ChiplabInputError(f"{origin}: {exc}") from None


def _cite(source: Source | None) -> str:
    return "" if source is None else f"{source.title}, {source.url} (accessed {source.accessed.isoformat()})"


@dataclass(frozen=True)
class _Presets:
    models: Mapping[str, ModelPreset]
    names: Mapping[str, str]


@functools.lru_cache(maxsize=1)
def _presets() -> _Presets:
    sources = load_model_sources()
    models: dict[str, ModelPreset] = {}
    names: dict[str, str] = {}
    for entry in sorted(_data_dir().iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or entry.name.startswith("_"):
            continue
        origin = f"models/{entry.name}"
        preset = preset_from_toml(entry.read_text(encoding="utf-8"), origin, sources)
        if preset.id != entry.name.removesuffix(".toml"):
            raise ChiplabInputError(f"{origin}: id must match the file name; got {preset.id!r}")
        models[preset.id] = preset
        add_names(names, preset.id, (preset.id, preset.display_name, *preset.aliases), origin=origin)
    return _Presets(models=models, names=names)


def _sort_key(preset: ModelPreset) -> tuple[str, int]:
    return (preset.family, preset.config.num_params)


def list_models() -> tuple[str, ...]:
    """Ids of the presets, by family and then size."""
    return tuple(p.id for p in sorted(_presets().models.values(), key=_sort_key))


def model_preset(name: str) -> ModelPreset:
    """The preset (config, published size, provenance) by id or alias; unknown names suggest close matches."""
    presets = _presets()

    def same_size(key: str) -> list[str]:
        """Names with the same size alone ("405b"), which difflib scores low against long names."""
        size = re.search(r"\d+(\.\d+)?b$", key)
        return [n for n in presets.names if size and n.endswith(size.group(0))]

    return presets.models[lookup(name, presets.names, what="model", example="llama3-8b", known=list_models,
                                 also_close=same_size, max_suggestions=6)]


def load_model(name: str) -> TransformerConfig:
    """A model's config by id or alias: ``"llama3-8b"``, ``"gpt3"``, ``"palm"``, ``"llama3.2-3b"``..."""
    return model_preset(name).config
