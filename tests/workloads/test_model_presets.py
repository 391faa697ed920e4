"""Model presets: every one loads, reproduces its published parameter count, cites a source for every value,
answers to its aliases, and unknown names get suggestions."""

import pytest

from chiplab._lookup import add_names
from chiplab.errors import ChiplabInputError
from chiplab.workloads import TransformerConfig, list_models, load_model, model_preset
from chiplab.workloads.presets import load_model_sources, preset_from_toml

REQUIRED = ["llama3_8b", "llama3_70b", "llama3_405b", "gpt3_175b", "palm_540b", "llama32_3b"]

# Published sizes, with the source of each (the TOML files cite them too; this is the double entry):
PUBLISHED_NUM_PARAMS = {
    "llama3_8b": 8.0e9,       # Llama 3 paper (arXiv:2407.21783), Table 3: "8B"
    "llama3_70b": 70.0e9,     # ibid.: "70B" (Hugging Face's safetensors metadata says 70.6B)
    "llama3_405b": 405e9,     # ibid.: "405B"
    "gpt3_175b": 175.0e9,     # Brown et al. 2020, Table 2.1: 175.0B
    "palm_540b": 540.35e9,    # Chowdhery et al. 2022, Table 1: 540.35B
    "llama32_3b": 3.21e9,     # meta-llama/Llama-3.2-3B model card: "3B (3.21B)"
}

# Architecture numbers as the sources print them (layers, d_model, d_ff, heads, KV heads, head dim, vocab).
ARCHITECTURES = {
    "llama3_8b": (32, 4096, 14336, 32, 8, 128, 128256),       # Llama 3 paper, Table 3; config.json vocab
    "llama3_70b": (80, 8192, 28672, 64, 8, 128, 128256),
    "llama3_405b": (126, 16384, 53248, 128, 8, 128, 128256),
    "gpt3_175b": (96, 12288, 4 * 12288, 96, 96, 128, 50257),  # GPT-3 Table 2.1, Sec. 2.1; GPT-2 Sec. 2.3
    "palm_540b": (118, 18432, 4 * 18432, 48, 1, 256, 256000),  # PaLM Table 1, Sec. 2
    "llama32_3b": (28, 3072, 8192, 24, 8, 128, 128256),        # Llama 3.2 3B config.json
}


def test_required_presets_exist():
    assert set(REQUIRED) <= set(list_models())


@pytest.mark.parametrize("name", REQUIRED)
def test_parameter_count_matches_published_size(name):
    config = load_model(name)
    assert config.num_params == pytest.approx(PUBLISHED_NUM_PARAMS[name], rel=0.01)
    assert model_preset(name).num_params_error_fraction < 0.01


@pytest.mark.parametrize("name", REQUIRED)
def test_architecture_matches_the_source(name):
    c = load_model(name)
    assert (c.num_layers, c.d_model, c.d_ff, c.num_heads, c.num_kv_heads, c.head_dim, c.vocab_size) == \
        ARCHITECTURES[name]


def test_palm_reproduces_table_1_exactly():
    # 118 layers of (MQA attention with 48 heads of 256 + SwiGLU 4·d) + a shared 256k × 18432 embedding.
    assert load_model("palm").num_params == pytest.approx(540.35e9, abs=0.01e9)


@pytest.mark.parametrize(("alias", "model_id"), [
    ("llama3-8b", "llama3_8b"), ("Llama 3 70B", "llama3_70b"), ("llama-3.1-405b", "llama3_405b"),
    ("gpt3", "gpt3_175b"), ("GPT-3", "gpt3_175b"), ("palm", "palm_540b"), ("llama3.2-3b", "llama32_3b"),
])
def test_aliases(alias, model_id):
    assert model_preset(alias).id == model_id
    assert load_model(alias) is model_preset(model_id).config


@pytest.mark.parametrize(("name", "suggestion"), [("llama3-9b", "llama3_8b"), ("gpt-4", "gpt3_175b"),
                                                  ("palm-2", "palm_540b"), ("llama 405b", "llama3_405b")])
def test_unknown_model_suggests_close_matches(name, suggestion):
    with pytest.raises(ChiplabInputError) as err:
        load_model(name)
    message = str(err.value)
    assert f"unknown model {name!r}" in message and suggestion in message


def test_non_string_name():
    with pytest.raises(ChiplabInputError, match="string"):
        load_model(8)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_value_is_sourced(name):
    preset = model_preset(name)
    config_fields = {"num_layers", "d_model", "d_ff", "num_heads", "vocab_size", "max_seq_len"}
    for field in config_fields:
        assert f"config.{field}" in preset.provenance, field
    assert "published_num_params" in preset.provenance
    for prov in preset.provenance.values():
        assert prov.note and prov.source.url.startswith(("https://", "arXiv:", "doi:"))
        assert prov.accessed.year >= 2024
    assert preset.config.source.startswith(preset.provenance["config.num_layers"].source.title)
    assert isinstance(preset.config, TransformerConfig) and preset.config.name == preset.display_name


def test_sources_are_listed_once_with_access_dates():
    sources = load_model_sources()
    assert {"LLAMA3", "GPT3", "PALM"} <= set(sources)
    for source in sources.values():
        assert source.accessed is not None and source.kind


def _toml(extra_provenance: str = "", config_extra: str = "") -> str:
    return f"""
id = "toy"
display_name = "Toy"
family = "Toy"
published_num_params = 1e6
[config]
num_layers = 2
d_model = 64
num_heads = 4
d_ff = 128
vocab_size = 100
{config_extra}
[provenance.published_num_params]
source = "GPT3"
note = "n/a"
[provenance."config.num_layers"]
source = "GPT3"
note = "n/a"
[provenance."config.d_model"]
source = "GPT3"
note = "n/a"
[provenance."config.num_heads"]
source = "GPT3"
note = "n/a"
[provenance."config.d_ff"]
source = "GPT3"
note = "n/a"
{extra_provenance}
"""


def test_preset_file_checks():
    sources = load_model_sources()
    with pytest.raises(ChiplabInputError, match=r"toy.toml: config.vocab_size has no \[provenance"):
        preset_from_toml(_toml(), "toy.toml", sources)
    vocab = '[provenance."config.vocab_size"]\nsource = "GPT3"\nnote = "n/a"\n'
    assert preset_from_toml(_toml(vocab), "toy.toml", sources).config.num_layers == 2
    with pytest.raises(ChiplabInputError, match="unknown keys"):
        preset_from_toml(_toml(vocab, "num_experts = 8"), "toy.toml", sources)
    with pytest.raises(ChiplabInputError, match="names no value"):
        preset_from_toml(_toml(vocab + '[provenance."config.dmodel"]\nsource = "GPT3"\nnote = "x"\n'),
                         "toy.toml", sources)
    with pytest.raises(ChiplabInputError, match="not in the source list"):
        preset_from_toml(_toml(vocab.replace("GPT3", "NOPE")), "toy.toml", sources)
    kv = '[provenance."config.num_kv_heads"]\nsource = "GPT3"\nnote = "n/a"\n'
    with pytest.raises(ChiplabInputError, match=r"toy.toml: .*num_kv_heads \(3\) must divide num_heads \(4\)"):
        preset_from_toml(_toml(vocab + kv, "num_kv_heads = 3"), "toy.toml", sources)


def test_a_name_two_presets_claim_is_refused_naming_the_file():
    """Names are compared normalized ('LLaMA-3 8b' is 'Llama 3 8B'), so a second file cannot take one over."""
    names: dict[str, str] = {}
    add_names(names, "llama3_8b", ("llama3_8b", "Llama 3 8B"), origin="models/llama3_8b.toml")
    add_names(names, "llama3_8b", ("llama3-8b",), origin="models/llama3_8b.toml")  # its own names again: fine
    with pytest.raises(ChiplabInputError, match=r"models/copy\.toml: name 'LLaMA-3 8b' is already used by 'llama3_8b'"):
        add_names(names, "copy", ("copy", "LLaMA-3 8b"), origin="models/copy.toml")
    assert names["llama38b"] == "llama3_8b" and "copy" not in names.values()
