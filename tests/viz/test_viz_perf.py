"""Performance figures render headless without warnings, show what the estimates say, and carry alt text."""


import matplotlib

matplotlib.use("Agg")
import pytest

from chiplab.hardware import load_chip
from chiplab.perf import estimate_step, estimate_training, sweep_data_parallel
from chiplab.viz import alt_text, draw_scaling, draw_step_breakdown, draw_training_breakdown
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

LLAMA_8B = load_model("llama3-8b")


# Every figure renders without a single warning, and is closed afterwards (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_figures")


def test_step_breakdown_bars_are_the_op_times():
    step = estimate_step(LLAMA_8B.training_step(batch=1, seq_len=2048), load_chip("trainium2"))
    ax = draw_step_breakdown(step, by="phase")
    ax.figure.canvas.draw()
    widths = sorted((p.get_width() for p in ax.patches), reverse=True)
    assert widths[0] == pytest.approx(max(step.time_by("phase").values()) * 1e3)
    assert "largest part" in alt_text(ax)


def test_training_breakdown_stacks_to_the_step_time():
    chip = load_chip("h100_sxm")
    est = estimate_training(LLAMA_8B, chip, parallelism=Parallelism(tensor=2, pipeline=2, data=2), global_batch=16,
                            seq_len=2048, recompute="full")
    ax = draw_training_breakdown({"h100": est})
    ax.figure.canvas.draw()
    assert max(p.get_y() + p.get_height() for p in ax.patches) == pytest.approx(est.time_s)


def test_scaling_efficiency_starts_at_one_and_never_exceeds_it():
    sweep = sweep_data_parallel(LLAMA_8B, load_chip("tpu_v5p"), replica=Parallelism(tensor=2), data_values=[1, 4, 64],
                                batch_per_replica=2, seq_len=2048, recompute="full")
    assert sweep.efficiency_fraction[0] == 1
    assert (sweep.efficiency_fraction <= 1 + 1e-9).all()
    ax = draw_scaling(sweep)
    ax.figure.canvas.draw()
    assert list(ax.lines[0].get_xdata()) == [2, 8, 128]
