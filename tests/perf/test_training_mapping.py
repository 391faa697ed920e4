"""How published training setups become estimate_training arguments where the source is partly silent."""

from chiplab.perf.measurements import get_measurement
from chiplab.perf.validation_cases import LEAST_INTERLEAVING, case_setup


def test_interleaved_of_unstated_size_is_the_least_interleaving():
    # Llama 3 (Table 4): "interleaved", no virtual-stage count; 1 virtual stage would be plain 1F1B, not interleaved
    setup = case_setup(get_measurement("llama3_405b_h100_16384gpu"))
    assert setup.arguments["num_virtual_stages"] == LEAST_INTERLEAVING == 2
    assert any("interleaved schedule of unstated size" in d for d in setup.defaults)


def test_a_stated_interleaving_is_used_as_stated():
    assert case_setup(get_measurement("mlperf41_gpt3_h100_11616")).arguments["num_virtual_stages"] == 8
