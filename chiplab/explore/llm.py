"""The LLM step explorer: a model, a chip, training or serving, batch, sequence length and parallelism → the step
time, throughput, MFU and memory per chip, with the step's largest ops and where its time goes.

Controls → model (:func:`chiplab.perf.llm.estimate_llm`, cached) → figure (:class:`chiplab.viz.workloads.LLMStepPicture`
on fixed axes, so every change after the first redraws only bars and texts). Invalid combinations — a tensor
split that does not divide the heads, a model that does not fit — show the model's message instead of a figure
update.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from chiplab.errors import ChiplabInputError
from chiplab.explore._args import catalog_chip_id, text_option
from chiplab.explore._figure import FigureImage, MessageLine
from chiplab.explore._text import format_seconds
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.perf.llm import MODES, LLMEstimate, estimate_llm
from chiplab.units import format_bytes
from chiplab.viz.workloads import LLMStepPicture
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import list_models, load_model, model_preset
from chiplab.workloads.recompute import RECOMPUTE_MODES

STEP_RECT = (0.34, 0.08, 0.64, 0.84)  # left margin: the longest part name
POWERS_OF_TWO = [2**e for e in range(18)]  # 1 ... 131,072


def llm_chips() -> list[str]:
    """Real catalog chips the performance model can run an LLM on: a published matrix-unit geometry and a bf16
    peak (B200's array is unpublished; TPU v1 has no bf16; the toy chips are too small for any preset)."""
    found = []
    for chip_id in list_chips():
        chip = load_chip(chip_id)
        if chip.kind == "real" and chip.core.matrix_unit.array is not None and "bf16" in chip.peak_dtypes:
            found.append(chip_id)
    return found


def _powers(low: int, high: int) -> list[int]:
    return [value for value in POWERS_OF_TWO if low <= value <= high]


class LLMExplorer:
    """Build it with :func:`llm_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, model: str, chip: str, mode: str, batch: int, seq_len: int, output_len: int, tensor: int,
                 pipeline: int, data: int, recompute: str):
        chips = llm_chips()
        if chip not in chips:
            raise ChiplabInputError(f"chip must be one the performance model supports: {', '.join(chips)}; "
                                    f"got {chip!r}")
        model = model_preset(model).id
        for name, value, allowed in (("batch", batch, _powers(1, 16384)), ("seq_len", seq_len, _powers(128, 131072)),
                                     ("output_len", output_len, _powers(1, 16384)), ("tensor", tensor, _powers(1, 128)),
                                     ("pipeline", pipeline, _powers(1, 64)), ("data", data, _powers(1, 8192))):
            if value not in allowed:
                raise ChiplabInputError(f"{name} must be a power of two from {allowed[0]} to {allowed[-1]} (the "
                                        f"explorer's choices); got {value!r}")
        wide = {"style": {"description_width": "initial"}}
        self.model = widgets.Dropdown(options=[(model_preset(m).display_name, m) for m in list_models()],
                                      value=model, description="model", **wide)
        self.chip = widgets.Dropdown(options=[(load_chip(c).display_name, c) for c in chips], value=chip,
                                     description="chip", **wide)
        self.mode = widgets.ToggleButtons(options=list(MODES), value=mode, description="mode", **wide)
        slider = {"continuous_update": False, "layout": widgets.Layout(width="330px"),
                  "style": {"description_width": "110px"}}
        self.batch = widgets.SelectionSlider(options=_powers(1, 16384), value=batch, description="batch", **slider)
        self.seq_len = widgets.SelectionSlider(options=_powers(128, 131072), value=seq_len,
                                               description="sequence", **slider)
        self.output_len = widgets.SelectionSlider(options=_powers(1, 16384), value=output_len,
                                                  description="output tokens", **slider)
        split = {"layout": widgets.Layout(width="170px"), "style": {"description_width": "70px"}}
        self.tensor = widgets.Dropdown(options=_powers(1, 128), value=tensor, description="tensor ×", **split)
        self.pipeline = widgets.Dropdown(options=_powers(1, 64), value=pipeline, description="pipeline ×", **split)
        self.data = widgets.Dropdown(options=_powers(1, 8192), value=data, description="data ×", **split)
        self.recompute = widgets.ToggleButtons(options=list(RECOMPUTE_MODES), value=recompute,
                                               description="recompute", **wide)
        # One figure for training steps and one for serving steps (their parts differ): each keeps its own cached
        # background, so switching modes back and forth redraws only bars and values, like any other control.
        self.figures = {"training": FigureImage(figsize=(8.0, 5.6)), "serving": FigureImage(figsize=(8.0, 5.6))}
        self.pictures: dict[str, LLMStepPicture] = {}
        self.figure_box = widgets.Box([self.figures[_figure_key(mode)].image])
        self.message = MessageLine(*self.figures.values())
        self.estimate: LLMEstimate | None = None
        self.mode.observe(self._on_mode_change, names="value")
        for control in (self.model, self.chip, self.batch, self.seq_len, self.output_len, self.tensor,
                        self.pipeline, self.data, self.recompute):
            control.observe(self._on_change, names="value")
        self._show_mode_controls()
        self._refresh()
        self.widget = widgets.VBox([
            widgets.HBox([self.model, self.chip]),
            self.mode,
            widgets.HBox([self.batch, self.seq_len, self.output_len]),
            widgets.HBox([self.tensor, self.pipeline, self.data, self.recompute]),
            self.message.widget,
            self.figure_box,
        ])

    # --- controls → model ----------------------------------------------------------------------------------

    def _model(self) -> str:
        training = self.mode.value == "training"
        parallelism = Parallelism(tensor=self.tensor.value, pipeline=self.pipeline.value if training else 1,
                                  data=self.data.value if training else 1)
        self.estimate = estimate_llm(load_model(self.model.value), load_chip(self.chip.value), mode=self.mode.value,
                                     batch=self.batch.value, seq_len=self.seq_len.value,
                                     output_len=self.output_len.value, parallelism=parallelism,
                                     recompute=self.recompute.value)
        return self._summary(self.estimate)

    @staticmethod
    def _summary(estimate: LLMEstimate) -> str:
        rate = "generated tokens/s" if estimate.mode == "decode" else "tokens/s"
        return (f"<b>{format_seconds(estimate.time_s)}</b> per step · <b>{estimate.tokens_per_s:,.0f}</b> {rate} "
                f"({estimate.tokens_per_s_per_chip:,.0f} per chip) on {estimate.num_chips} chip"
                f"{'s' if estimate.num_chips > 1 else ''} · MFU <b>{estimate.mfu_fraction:.1%}</b> · memory "
                f"{format_bytes(estimate.memory.total_bytes)} of {format_bytes(estimate.memory_capacity_bytes)} "
                f"{estimate.memory_label} per chip ({estimate.memory_fraction:.0%})" + LLMExplorer._band(estimate))

    @staticmethod
    def _band(estimate: LLMEstimate) -> str:
        """The range of the true speed and step time over the estimate's error band, and where the band is from."""
        time_s_range, tokens_per_s_range = estimate.time_s_range, estimate.tokens_per_s_range
        if estimate.band is None or time_s_range is None or tokens_per_s_range is None:
            return "<br>No error band: no published runs of this chip's family were validated."
        (low_s, high_s), (low, high) = time_s_range, tokens_per_s_range
        return (f"<br>If chiplab errs as it did on published runs: <b>{low:,.0f}–{high:,.0f}</b> tokens/s, "
                f"{format_seconds(low_s)}–{format_seconds(high_s)} per step "
                f"<small>({html.escape(estimate.band.source)})</small>")

    # --- events ------------------------------------------------------------------------------------------------

    def _show_mode_controls(self) -> None:
        training = self.mode.value == "training"
        for control in (self.pipeline, self.data, self.recompute):
            control.disabled = not training
        self.output_len.disabled = training
        self.batch.description = "global batch" if training else "requests"
        self.seq_len.description = "sequence" if training else "prompt"

    def _on_mode_change(self, _change: object = None) -> None:
        self._show_mode_controls()
        self._refresh()

    def _on_change(self, _change: object = None) -> None:
        self._refresh()

    def _refresh(self) -> None:
        if not self.message.guard(self._model) or self.estimate is None:
            return
        estimate = self.estimate
        key, figure = _figure_key(estimate.mode), self.figure
        picture = self.pictures.get(key)
        if picture is None or not picture.fits(estimate):  # the first step of this kind
            self.pictures[key] = LLMStepPicture(estimate, figure.new_axes(STEP_RECT))
            figure.set_dynamic(self.pictures[key].dynamic_artists)
            figure.render()
        else:
            picture.update(estimate)  # same bars and labels on a fixed axis: only bars and values are redrawn
            figure.render_dynamic()
        if self.figure_box.children[0] is not figure.image:
            self.figure_box.children = (figure.image,)

    @property
    def figure(self) -> FigureImage:
        """The figure of the current mode (training or serving)."""
        return self.figures[_figure_key(self.mode.value)]

    @property
    def picture(self) -> LLMStepPicture | None:
        return self.pictures.get(_figure_key(self.mode.value))


def _figure_key(mode: str) -> str:
    return "training" if mode == "training" else "serving"


def llm_explorer(model: str = "llama3_8b", chip: str = "trainium2", mode: str = "training", batch: int = 32,
                 seq_len: int = 4096, output_len: int = 256, tensor: int = 4, pipeline: int = 1, data: int = 8,
                 recompute: str = "selective") -> widgets.VBox:
    """A widget to display in one line: ``llm_explorer()``. Try mode = decode, then raise the requests."""
    chip = catalog_chip_id("chip", chip)
    return LLMExplorer(model, chip, text_option("mode", mode, MODES), batch, seq_len, output_len, tensor, pipeline,
                       data, text_option("recompute", recompute, RECOMPUTE_MODES)).widget
