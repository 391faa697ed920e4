"""The resource guard refuses, before any allocation, what would exceed the limits, and says how to raise them."""

import pytest

from chiplab import resource_limits
from chiplab._guard import (
    DEFAULT_MAX_MEMORY_BYTES,
    DEFAULT_MAX_SECONDS,
    ENV_MAX_MEMORY_BYTES,
    ENV_MAX_SECONDS,
    check_resources,
    current_limits,
)
from chiplab.errors import ChiplabInputError


def test_defaults_without_environment(monkeypatch):
    monkeypatch.delenv(ENV_MAX_SECONDS, raising=False)
    monkeypatch.delenv(ENV_MAX_MEMORY_BYTES, raising=False)
    limits = current_limits()
    assert (limits.max_seconds, limits.max_memory_bytes) == (DEFAULT_MAX_SECONDS, DEFAULT_MAX_MEMORY_BYTES)


def test_environment_sets_the_limits(monkeypatch):
    monkeypatch.setenv(ENV_MAX_MEMORY_BYTES, "2048")
    with pytest.raises(ChiplabInputError, match="limit of 2 KiB"):
        check_resources("x", memory_bytes=2049)
    monkeypatch.setenv(ENV_MAX_SECONDS, "-3")
    with pytest.raises(ChiplabInputError, match=ENV_MAX_SECONDS):
        current_limits()
    monkeypatch.setenv(ENV_MAX_SECONDS, "soon")
    with pytest.raises(ChiplabInputError, match="soon"):
        current_limits()


def test_refusal_names_estimate_limit_and_how_to_raise():
    with resource_limits(max_seconds=10), pytest.raises(ChiplabInputError) as info:
        # 2e11 PE-updates at 2e8 per second = 1000 s, about 16.7 minutes
        check_resources("simulating", work=2e11, work_unit="PE-updates", work_per_s=2e8, shrink_hint="use estimate()")
    message = str(info.value)
    for part in ("16.7 minutes", "2e+11 PE-updates", "limit of 10 s", "use estimate()", "resource_limits",
                 ENV_MAX_SECONDS):
        assert part in message


def test_huge_integers_are_refused_not_wrapped():
    with pytest.raises(ChiplabInputError, match="more bytes than a float can count"):
        check_resources("x", memory_bytes=10**400)
    with pytest.raises(ChiplabInputError, match="forever"):
        check_resources("x", work=10**400)


def test_limits_nest_and_restore():
    outer = current_limits()
    with resource_limits(max_memory_bytes=100) as inner:
        assert inner.max_memory_bytes == 100 and inner.max_seconds == outer.max_seconds
        with resource_limits(max_seconds=1) as innermost:
            assert innermost.max_memory_bytes == 100
        assert check_resources("x", memory_bytes=100).memory_bytes == 100
    assert current_limits() == outer


def test_bad_limits_are_refused():
    with pytest.raises(ChiplabInputError, match="max_seconds"), resource_limits(max_seconds=float("nan")):
        pass


def test_slow_runs_are_flagged_for_progress():
    assert check_resources("x", estimated_s=6).is_slow
    assert not check_resources("x", estimated_s=1).is_slow


def test_model_sweeps_check_their_length_before_working():
    # A range of a billion batches (or replica counts, or m values) would run for hours, and a lazy iterable could be
    # endless: both are refused before the first estimate, with the estimate and how to raise the limit.
    import itertools

    from chiplab.hardware import load_chip
    from chiplab.memory import sweep_m_on_rooflines
    from chiplab.perf import sweep_data_parallel, sweep_serving_batch
    from chiplab.workloads import Parallelism, load_model

    model, chip = load_model("llama3_8b"), load_chip("h100")
    with pytest.raises(ChiplabInputError, match=r"a sweep over 999,999,999 batches would need about .* hours"):
        sweep_serving_batch(model, chip, batches=range(1, 10**9), prompt_len=512, output_len=128)
    with pytest.raises(ChiplabInputError, match=r"batches must be a list, tuple, range or array"):
        sweep_serving_batch(model, chip, batches=itertools.count(1), prompt_len=512, output_len=128)
    with pytest.raises(ChiplabInputError, match=r"a sweep over 9,999,999 data_values .*chiplab.resource_limits"):
        sweep_data_parallel(model, chip, replica=Parallelism(tensor=8), data_values=range(1, 10**7),
                            batch_per_replica=8, seq_len=2048)
    with pytest.raises(ChiplabInputError, match=r"a sweep over 999,999,999 ms would need"):
        sweep_m_on_rooflines(["h100"], range(1, 10**9), 4096, 4096)
