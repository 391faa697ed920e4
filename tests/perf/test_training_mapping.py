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


def test_maxtext_per_device_batch_counts_the_tensor_parallel_chips():
    # v5p-4096 MLPerf GPT-3: per_device_batch_size 2, ici_tensor_parallelism 8, 256 data-parallel ways, global
    # batch 4096: each replica's 16 sequences are one pass of its 8 tensor-parallel chips (2 x 8), not 8 microbatches
    setup = case_setup(get_measurement("mlperf41_gpt3_tpu_v5p_2048"))
    assert setup.arguments["num_microbatches"] == 1


def test_the_v5p_gpt3_recipe_runs_on_the_chips_its_log_implies():
    setup = case_setup(get_measurement("maxtext_gpt3_175b_v5p"))
    parallelism = setup.arguments["parallelism"]
    assert (parallelism.tensor, parallelism.data, parallelism.num_chips) == (8, 64, 512)


def test_nemo_recipe_settings_are_read_as_stated():
    # Megatron-Bridge v0.2.0 (NeMo 25.11): Llama 3 70B on H100, FP8-CS: DDP (no FSDP) with the distributed optimizer
    # (ZeRO-1), no recompute, tensor-parallel communication overlap on (llama3_70b_pretrain_config)
    setup = case_setup(get_measurement("nemo_llama3_70b_h100_64gpu_fp8"))
    assert setup.arguments["parallelism"].zero_stage == 1
    assert setup.arguments["recompute"] == "none" and setup.arguments["tp_comm_overlap"] is True
    assert setup.defaults == ()


def test_block_recompute_of_some_layers_is_passed_on():
    # LLAMA3_8B_H100_FP8_CS_BASE_CONFIG: recompute_num_layers=5 -> full granularity, block method, 5 layers
    setup = case_setup(get_measurement("nemo_llama3_8b_h100_8gpu_fp8"))
    assert setup.arguments["recompute"] == "full" and setup.arguments["recompute_num_layers"] == 5
