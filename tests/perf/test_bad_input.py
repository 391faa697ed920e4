"""Issue 10, items 8 and 9 (perf part): wrong types and impossible numbers give a ChiplabInputError naming the
parameter, never an AttributeError, OverflowError, ZeroDivisionError or a negative time."""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import collective_time_s, estimate_serving, estimate_step, estimate_training, network_for
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

MODEL = load_model("llama3-8b")
H100 = load_chip("h100_sxm")


def _train(**overrides):
    kwargs = {"parallelism": Parallelism(tensor=8), "global_batch": 8, "seq_len": 2048}
    kwargs.update(overrides)
    return estimate_training(MODEL, H100, **kwargs)


@pytest.mark.parametrize(("overrides", "named"), [
    ({"parallelism": 8}, "parallelism must be a Parallelism"),
    ({"calibration": "ideal"}, "calibration must be a Calibration"),
    ({"network": "x"}, "network must be a Network"),
    ({"global_batch": 1e308}, "global_batch must be a whole number between 1 and"),
    ({"seq_len": 10**400}, "seq_len must be a whole number between 1 and"),
])
def test_training_arguments_are_checked(overrides, named):
    with pytest.raises(ChiplabInputError, match=named):
        _train(**overrides)


@pytest.mark.parametrize(("overrides", "named"), [
    ({"batch": 1e308}, "batch must be a whole number between 1 and"),
    ({"prompt_len": 10**12}, "prompt_len must be a whole number between 1 and"),
    ({"calibration": "ideal"}, "calibration must be a Calibration"),
])
def test_serving_arguments_are_checked(overrides, named):
    kwargs = {"batch": 1, "prompt_len": 128, "output_len": 16}
    kwargs.update(overrides)
    with pytest.raises(ChiplabInputError, match=named):
        estimate_serving(MODEL, H100, **kwargs)


def test_step_arguments_are_checked():
    with pytest.raises(ChiplabInputError, match="chip must be a Chip"):
        estimate_step(MODEL.decode_step(batch=1, context_len=16), "h100")
    with pytest.raises(ChiplabInputError, match="step must be a ModelStep"):
        estimate_step(MODEL, H100)


@pytest.mark.parametrize("efficiency", [0, -1, 1.5, float("nan"), True])
def test_collective_efficiency_must_be_a_fraction(efficiency):
    with pytest.raises(ChiplabInputError, match="efficiency_fraction"):
        collective_time_s("all_reduce", 1e6, 8, network_for(H100), efficiency)


@pytest.mark.parametrize("chip", ["h100_sxm", "trn1", "tpu_v5p"])  # flat network, Neuron ring, TPU torus
def test_collective_over_astronomically_many_chips_is_refused(chip):
    # 10**400 chips overflowed num_chips / domain to a raw OverflowError
    with pytest.raises(ChiplabInputError, match="num_chips"):
        collective_time_s("all_reduce", 1e6, 10**400, network_for(load_chip(chip)))


def test_collective_bytes_must_be_non_negative():
    with pytest.raises(ChiplabInputError, match="num_bytes"):
        collective_time_s("all_gather", -1, 8, network_for(H100))
