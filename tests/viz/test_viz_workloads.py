"""Workload figures render headless without warnings, draw what the results say, and carry alt text."""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from chiplab.hardware import load_chip
from chiplab.perf.llm import STEP_CATEGORIES, estimate_llm, sweep_serving_batch
from chiplab.viz import alt_text
from chiplab.viz.workloads import (
    LLMStepPicture,
    draw_flops_breakdown,
    draw_intensity_sweep,
    draw_llm_step,
    draw_serving_sweep,
    draw_six_n,
)
from chiplab.workloads import Parallelism, load_model, training_step
from chiplab.workloads.describe import CATEGORIES, compare_six_n, flops_breakdown, intensity_sweep

LLAMA_8B = load_model("llama3-8b")
TRN2 = load_chip("trainium2")


# Every figure renders without a single warning, and is closed afterwards (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_figures")


def test_flops_breakdown_bars_are_the_shares():
    breakdowns = {"3B": flops_breakdown(training_step(load_model("llama3.2-3b"), batch=1, seq_len=8192)),
                  "8B": flops_breakdown(training_step(LLAMA_8B, batch=1, seq_len=8192))}
    ax = draw_flops_breakdown(breakdowns)
    ax.figure.canvas.draw()
    assert len(ax.patches) == len(CATEGORIES) * 2
    widths = [patch.get_width() for patch in ax.patches]
    assert widths[len(breakdowns) * 2 + 1] == pytest.approx(breakdowns["8B"].fraction(CATEGORIES[2]) * 100)
    assert "MLP" in alt_text(ax)
    with pytest.raises(ValueError, match="at least one"):
        draw_flops_breakdown({})


def test_six_n_lines_start_near_one_and_rise():
    comparison = compare_six_n([load_model("llama3.2-3b"), LLAMA_8B], [1024, 8192, 65536])
    ax = draw_six_n(comparison)
    ax.figure.canvas.draw()
    assert len(ax.lines) == 3  # two models and the line at 1
    ratios = list(ax.lines[0].get_ydata())
    assert ratios == sorted(ratios) and ratios[0] < 1.2
    assert "Llama 3.2 3B" in alt_text(ax)


def test_intensity_sweep_draws_one_ridge_per_chip():
    sweep = intensity_sweep(n=28672, k=4096, num_tokens=[1, 16, 256, 4096], chips=["tpu_v5e", "h100_sxm"])
    ax = draw_intensity_sweep(sweep)
    ax.figure.canvas.draw()
    ridges = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert sorted(line.get_ydata()[0] for line in ridges) == sorted(r.ridge_flops_per_byte for r in sweep.ridges)
    assert "ridge point" in alt_text(ax)


def test_serving_sweep_marks_the_memory_wall():
    sweep = sweep_serving_batch(LLAMA_8B, TRN2, batches=[1, 16, 256, 1024], prompt_len=2048, output_len=512)
    ax = draw_serving_sweep(sweep)
    ax.figure.canvas.draw()
    assert list(ax.lines[0].get_ydata()) == pytest.approx(list(sweep.output_tokens_per_s_per_chip))
    assert "does not fit in memory" in [text.get_text() for text in ax.get_legend().get_texts()]
    assert f"is {sweep.largest_fitting_batch}" in alt_text(ax)


@pytest.mark.parametrize("mode", ["training", "prefill", "decode"])
def test_llm_step_picture_shows_the_estimate(mode):
    estimate = estimate_llm(LLAMA_8B, TRN2, mode=mode, batch=16, seq_len=2048,
                            parallelism=Parallelism(tensor=4, data=4 if mode == "training" else 1),
                            recompute="selective")
    ax = draw_llm_step(estimate)
    ax.figure.canvas.draw()
    texts = [text.get_text() for panel in [ax, *ax.child_axes] for text in panel.texts]
    assert all(category in texts for category in STEP_CATEGORIES)
    assert all(name in texts for name in estimate.parts_s)
    assert f"{estimate.num_chips} × AWS Trainium2" in " ".join(texts)  # the name readers know, not the key
    assert mode in alt_text(ax)


def test_picture_updates_in_place_for_another_estimate():
    first = estimate_llm(LLAMA_8B, TRN2, mode="training", batch=16, seq_len=2048,
                         parallelism=Parallelism(tensor=4, data=4))
    second = estimate_llm(LLAMA_8B, load_chip("h100_sxm"), mode="training", batch=64, seq_len=4096,
                          parallelism=Parallelism(tensor=8, pipeline=2, data=2), recompute="full")
    fig, ax = plt.subplots()
    picture = LLMStepPicture(first, ax)

    def patches():
        return [patch for panel in picture.panels for patch in panel.patches]

    def texts():
        return [*ax.texts, *(text for panel in picture.panels for text in panel.texts)]

    artists = len(patches()), len(texts())
    widths = [bar.get_width() for bar in picture.bars[0]]
    assert picture.fits(second)
    picture.update(second)
    assert (len(patches()), len(texts())) == artists  # nothing new is created
    assert [bar.get_width() for bar in picture.bars[0]] != widths
    assert "H100" in picture.caption.get_text() and "h100_sxm" not in picture.caption.get_text()
    assert picture.notes[1][1].get_visible()  # the pipeline bubble is no longer zero
    assert set(picture.dynamic_artists) <= set(patches()) | set(texts())
    fig.canvas.draw()


def test_a_serving_step_needs_its_own_picture():
    training = estimate_llm(LLAMA_8B, TRN2, mode="training", batch=16, seq_len=2048,
                            parallelism=Parallelism(tensor=4, data=4))
    decode = estimate_llm(LLAMA_8B, TRN2, mode="decode", batch=16, seq_len=2048)
    picture = LLMStepPicture(training, plt.subplots()[1])
    assert not picture.fits(decode)
    with pytest.raises(ValueError, match="make a new LLMStepPicture"):
        picture.update(decode)
    zero_notes = [note for note, part in zip(picture.notes[1], training.parts_s.values(), strict=False) if not part]
    assert zero_notes and not any(note.get_visible() for note in zero_notes)  # zero values show no text
