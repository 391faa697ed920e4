"""LoRA fine-tuning (Hu et al., ICLR 2022): frozen base weights, so no weight gradients, optimizer or gradient sync
for them. Checked by hand on the FLOP count (the textbook 6 FLOPs per parameter per token of training, Kaplan et al.
2020, Sec. 2.1: 2 forward + 2 for the activation gradient + 2 for the weight gradient) — a frozen weight keeps 4."""

import dataclasses

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf.lora import frozen_base_step
from chiplab.perf.training import estimate_training
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

SEQ = 2048


def _linear_params(config):
    """Weights of every linear layer (q, k, v, o, the MLP and the output head), from the model's shapes."""
    mlp_in = 2 if config.gated_mlp else 1
    per_layer = (config.d_model * (config.q_dim + 2 * config.kv_dim) + config.q_dim * config.d_model
                 + (mlp_in + 1) * config.d_model * config.d_ff)
    return config.num_layers * per_layer + config.d_model * config.vocab_size


@pytest.mark.parametrize("model", ["llama3_8b", "gpt3_175b"])
def test_a_frozen_weight_costs_4_of_6_flops_per_token(model):
    config = load_model(model)
    full = config.training_step(batch=1, seq_len=SEQ)
    lora = frozen_base_step(full)
    linear = _linear_params(config)
    # the weight-gradient GEMMs (2 FLOPs per weight per token) are all that goes; core attention keeps both gradients
    assert full.model_flops - lora.model_flops == 2 * linear * SEQ
    attention = full.model_flops - 6 * linear * SEQ
    assert lora.model_flops == 4 * linear * SEQ + attention


def test_no_optimizer_update_and_no_embedding_gradient():
    lora = frozen_base_step(load_model("llama3_8b").training_step(batch=1, seq_len=SEQ))
    names = {op.name for op in lora.ops}
    assert "adamw_update" not in names and "embed_tokens.grad" not in names
    assert {"scores.grad_b", "attn_values.grad_b", "qkv_proj.grad_a"} <= names


def test_lora_estimate_has_no_gradient_sync_and_less_memory():
    config = dataclasses.replace(load_model("llama3_8b"), dtype="bf16")
    chip = load_chip("h100_sxm")
    args = dict(parallelism=Parallelism(data=8, zero_stage=0), global_batch=8, seq_len=SEQ, check_memory=False)
    full = estimate_training(config, chip, **args)
    lora = estimate_training(config, chip, frozen_base_weights=True, **args)
    assert lora.data_comm_exposed_s == 0.0 and lora.optimizer_s == 0.0
    assert lora.memory.optimizer_state_bytes == 0.0 and lora.memory.gradients_bytes == 0.0
    assert lora.memory.weights_bytes == full.memory.weights_bytes
    # roughly 2/3 of the GEMM time of full training (attention and vector ops keep their full backward)
    assert 0.6 < lora.compute_s / full.compute_s < 0.8


def test_bad_flag_is_refused():
    with pytest.raises(ChiplabInputError, match="frozen_base_weights"):
        estimate_training(load_model("llama3_8b"), load_chip("h100_sxm"), parallelism=Parallelism(data=8),
                          global_batch=8, seq_len=SEQ, frozen_base_weights="yes")


def test_the_mlperf_lora_run_is_estimated_with_frozen_weights():
    from chiplab.perf.measurements import end_to_end_runs
    from chiplab.perf.validation_cases import case_setup

    run = next(r for r in end_to_end_runs() if r.id == "mlperf50_llama2_70b_lora_mi300x_8")
    setup = case_setup(run)
    assert setup.arguments["frozen_base_weights"] is True
    assert setup.config.max_seq_len == 8192  # the run's MAX_SEQLEN, past Llama 2's 4096-token window
