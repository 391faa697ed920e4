"""The cost explorer: two chips on one workload, each paid for its own way — a sourced cloud offer or a what-if price
you type (labelled as such), chip B optionally owned — with utilisation, software efficiency and the tokens to train
or serve; the answer in dollars per million tokens, the cost of the run, the break-even price, and owning B next to
renting it. A button runs the sensitivity analysis and draws its tornado.

Controls → model (:mod:`chiplab.cost.scenarios`: ``rent``/``own``, ``evaluate_cost_scenario``, ``own_or_rent``,
``scenario_sensitivity``; performance cached per chip, workload and efficiency) → figures
(:class:`~chiplab.viz.cost_pictures.ScenarioCostPicture`, :class:`~chiplab.viz.cost_pictures.OwnOrRentPicture`
on fixed relative axes, so every change redraws only bars and texts; the tornado is drawn on request).
"""

from __future__ import annotations

import ipywidgets as widgets

from chiplab.cost.prices import hardware_price_for, sourced_value
from chiplab.cost.records import Price
from chiplab.cost.scenarios import (
    WORKLOADS,
    CostScenario,
    OwnOrRent,
    ScenarioResult,
    efficiencies_of,
    evaluate_cost_scenario,
    own,
    own_or_rent,
    price_options,
    rent,
    rent_price_to_compare,
    scenario_sensitivity,
    what_if_price,
)
from chiplab.cost.tco import OWNER_DEFAULT_KEYS, owner_assumptions_for
from chiplab.errors import ChiplabInputError
from chiplab.explore._cost_choices import TOKEN_CHOICES, WHAT_IF, check_choices, price_choices
from chiplab.explore._cost_text import scenario_summary
from chiplab.explore._figure import FigureImage, MessageLine, Quiet
from chiplab.hardware.catalog import load_chip
from chiplab.viz.cost import draw_tornado
from chiplab.viz.cost_pictures import OwnOrRentPicture, ScenarioCostPicture

COSTS_RECT = (0.02, 0.58, 0.96, 0.34)
OWNER_RECT = (0.02, 0.09, 0.96, 0.34)
TORNADO_RECT = (0.3, 0.15, 0.55, 0.72)
_WIDE = {"style": {"description_width": "initial"}}
_FRACTION = {"min": 0.05, "max": 1.0, "step": 0.05, "continuous_update": False,
             "layout": widgets.Layout(width="430px"), "style": {"description_width": "230px"}}


class CostExplorer:
    """Build it with :func:`cost_explorer`; the controls are attributes, so tests and benchmarks drive them."""

    def __init__(self, chip_a: str, chip_b: str, workload: str, num_tokens: float,
                 what_if_usd_per_chip_hour: float | None = None):
        chips = check_choices(chip_a, chip_b, workload, num_tokens)
        self._make_scenario_controls(chips, load_chip(chip_a).id, load_chip(chip_b).id, workload, num_tokens)
        self._make_owner_controls()
        self.tornado_button = widgets.Button(description="Which assumption flips the winner? (tornado)",
                                             layout=widgets.Layout(width="360px"))
        self.figure = FigureImage(figsize=(8.4, 4.6))
        self.tornado_figure = FigureImage(figsize=(8.4, 3.8))
        self.message = MessageLine(self.figure)
        self.tornado_message = MessageLine(self.tornado_figure)
        self.scenario: CostScenario | None = None
        self.result: ScenarioResult | None = None
        self.owning: OwnOrRent | None = None
        self.owner_problem = ""
        self.costs_picture: ScenarioCostPicture | None = None
        self.owner_picture: OwnOrRentPicture | None = None
        self._quiet = Quiet()  # raised while the explorer itself changes controls
        self._setprice_choices(self.price_a, self.chip_a.value, allow_own=False)
        self._setprice_choices(self.price_b, self.chip_b.value, allow_own=True)
        self._set_capex_default()
        first_b = price_options(self.chip_b.value)
        self.what_if_b.value = first_b[0].usd_per_chip_hour if first_b else 1.0
        # A's what-if starts at B's price: "what if A cost what B costs?" (no invented price).
        self.what_if_a.value = what_if_usd_per_chip_hour or self._rent_price_b().usd_per_chip_hour
        self._enable_what_if()
        self._set_fitted_efficiencies()
        self._wire()
        self._refresh()
        self.widget = self._layout()

    def _make_scenario_controls(self, chips: list[str], chip_a: str, chip_b: str, workload: str,
                                num_tokens: float) -> None:
        box = {"layout": widgets.Layout(width="430px"), **_WIDE}
        chip_options = [(load_chip(c).display_name, c) for c in chips]
        self.chip_a = widgets.Dropdown(options=chip_options, value=chip_a, description="chip A", **box)
        self.chip_b = widgets.Dropdown(options=chip_options, value=chip_b, description="chip B", **box)
        self.price_a = widgets.Dropdown(description="A's price", **box)
        self.price_b = widgets.Dropdown(description="B's price", **box)
        money = {"min": 0.01, "max": 1000.0, "step": 0.1, "layout": widgets.Layout(width="300px"), **_WIDE}
        self.what_if_a = widgets.BoundedFloatText(value=1.0, description="A what-if USD/chip-hour", **money)
        self.what_if_b = widgets.BoundedFloatText(value=1.0, description="B what-if USD/chip-hour", **money)
        # The matmul sliders start at each chip's fitted efficiency: left there, the chip keeps its fitted
        # calibration and the validation record's error band; moved, the efficiency is an assumption (no band).
        self.matmul_a = widgets.FloatSlider(value=1.0, description="A: achieved ÷ modelled matmul speed", **_FRACTION)
        self.matmul_b = widgets.FloatSlider(value=1.0, description="B: achieved ÷ modelled matmul speed", **_FRACTION)
        self.workload = widgets.Dropdown(options=list(WORKLOADS), value=workload, description="workload", **box)
        self.tokens = widgets.SelectionSlider(options=TOKEN_CHOICES, value=num_tokens, description="tokens",
                                              continuous_update=False, layout=widgets.Layout(width="430px"))
        self.utilization = widgets.FloatSlider(value=1.0, description="useful share of rented hours", **_FRACTION)

    def _make_owner_controls(self) -> None:
        owner = {"continuous_update": False, "layout": widgets.Layout(width="430px"),
                 "style": {"description_width": "230px"}}
        self.capex = widgets.BoundedFloatText(value=30000.0, min=100.0, max=1e6, step=1000.0,
                                              description="B's capex per chip (USD, server share)",
                                              layout=widgets.Layout(width="430px"),
                                              style={"description_width": "230px"})
        self.usd_per_kwh = widgets.FloatSlider(value=sourced_value(OWNER_DEFAULT_KEYS["usd_per_kwh"]).value,
                                               min=0.02, max=0.40, step=0.005, readout_format=".3f",
                                               description="electricity (USD/kWh)", **owner)
        self.pue = widgets.FloatSlider(value=sourced_value(OWNER_DEFAULT_KEYS["pue"]).value, min=1.0, max=2.5,
                                       step=0.01, description="PUE (facility ÷ IT power)", **owner)
        self.years = widgets.FloatSlider(value=sourced_value(OWNER_DEFAULT_KEYS["amortisation_years"]).value,
                                         min=1.0, max=10.0, step=0.5, description="amortisation (years)", **owner)
        self.owner_utilization = widgets.FloatSlider(value=1.0, description="useful share of owned hours",
                                                     **_FRACTION)

    def _wire(self) -> None:
        self.chip_a.observe(self._on_chip_a, names="value")
        self.chip_b.observe(self._on_chip_b, names="value")
        for control in (self.price_a, self.price_b, self.what_if_a, self.what_if_b, self.matmul_a, self.matmul_b,
                        self.workload, self.tokens, self.utilization, self.capex, self.usd_per_kwh, self.pue,
                        self.years, self.owner_utilization):
            control.observe(self._on_change, names="value")
        self.tornado_button.on_click(self._on_tornado)

    def _layout(self) -> widgets.VBox:
        return widgets.VBox([
            widgets.HBox([widgets.VBox([self.chip_a, self.price_a, self.what_if_a, self.matmul_a]),
                          widgets.VBox([self.chip_b, self.price_b, self.what_if_b, self.matmul_b])]),
            widgets.HBox([widgets.VBox([self.workload, self.tokens]), widgets.VBox([self.utilization])]),
            widgets.HTML("<b>Owning chip B</b> (compared with renting it at B's price above; choose "
                         "\"own it\" as B's price to use the owner's cost in the matchup):"),
            widgets.HBox([widgets.VBox([self.capex, self.usd_per_kwh, self.pue]),
                          widgets.VBox([self.years, self.owner_utilization])]),
            self.message.widget,
            self.figure.image,
            self.tornado_button,
            self.tornado_message.widget,
            self.tornado_figure.image,
        ])

    # --- controls → model ----------------------------------------------------------------------------------

    @staticmethod
    def _setprice_choices(dropdown: widgets.Dropdown, chip_id: str, allow_own: bool) -> None:
        choices = price_choices(chip_id, allow_own)
        dropdown.options = choices
        dropdown.value = choices[0][1]  # the first sourced offer, or the what-if price where none exists

    def _set_capex_default(self) -> None:
        """B's capex: the most recent sourced server-share price where one exists; else the value stays, labelled
        a what-if (TPUs and Trainium are not sold)."""
        try:
            self.capex.value = hardware_price_for(self.chip_b.value, includes="server share").usd_per_chip
            self.capex.description = "B's capex per chip (USD, sourced server share)"
        except ChiplabInputError:
            self.capex.description = "B's capex per chip (USD, what-if: no purchase price)"

    def _set_fitted_efficiencies(self) -> None:
        """Each matmul slider at its chip's fitted efficiency for the workload (see _make_scenario_controls)."""
        for slider, chip in ((self.matmul_a, self.chip_a.value), (self.matmul_b, self.chip_b.value)):
            slider.value = efficiencies_of(self.workload.value, chip)[0]

    def _efficiency(self, slider: widgets.FloatSlider, chip: str) -> float | None:
        """None (the fitted calibration, with its band) while the slider sits on the fitted value, else the value."""
        fitted = efficiencies_of(self.workload.value, chip)[0]
        return None if abs(slider.value - fitted) < slider.step / 2 else slider.value

    def _enable_what_if(self) -> None:
        self.what_if_a.disabled = self.price_a.value != WHAT_IF
        self.what_if_b.disabled = self.price_b.value != WHAT_IF

    def _price(self, dropdown: widgets.Dropdown, chip_id: str, what_if: widgets.BoundedFloatText) -> Price:
        if dropdown.value == WHAT_IF:
            return what_if_price(chip_id, what_if.value)
        return price_options(chip_id)[dropdown.value]

    def _rent_price_b(self) -> Price:
        """B's rented price: the chosen offer or what-if; when B is owned, what owning is compared with."""
        if self.price_b.value == "own":
            return rent_price_to_compare(self.chip_b.value, self.what_if_b.value)
        return self._price(self.price_b, self.chip_b.value, self.what_if_b)

    def _model(self) -> str:
        a = rent(self.chip_a.value, self._price(self.price_a, self.chip_a.value, self.what_if_a),
                 utilization_fraction=self.utilization.value,
                 matmul_efficiency_fraction=self._efficiency(self.matmul_a, self.chip_a.value))
        rented_b = self._rent_price_b()
        self.owner_problem, self.owning = "", None
        try:
            assumptions = owner_assumptions_for(
                self.chip_b.value, capex_usd_per_chip=self.capex.value, usd_per_kwh=self.usd_per_kwh.value,
                pue=self.pue.value, amortisation_years=self.years.value,
                utilization_fraction=self.owner_utilization.value)
            self.owning = own_or_rent(assumptions, rented_b, self.utilization.value)
        except ChiplabInputError as exc:
            if self.price_b.value == "own":
                raise
            self.owner_problem = str(exc)
        if self.price_b.value == "own":
            b = own(self.chip_b.value, assumptions,
                    matmul_efficiency_fraction=self._efficiency(self.matmul_b, self.chip_b.value))
        else:
            b = rent(self.chip_b.value, rented_b, utilization_fraction=self.utilization.value,
                     matmul_efficiency_fraction=self._efficiency(self.matmul_b, self.chip_b.value))
        self.scenario = CostScenario(a=a, b=b, workload=self.workload.value, num_tokens=self.tokens.value)
        self.result = evaluate_cost_scenario(self.scenario)
        return scenario_summary(self.result, self.owning, self.owner_problem)

    # --- events ------------------------------------------------------------------------------------------------

    def _on_chip_a(self, _change=None) -> None:
        with self._quiet:
            self._setprice_choices(self.price_a, self.chip_a.value, allow_own=False)
            self.matmul_a.value = efficiencies_of(self.workload.value, self.chip_a.value)[0]
            self._enable_what_if()
        self._refresh()

    def _on_chip_b(self, _change=None) -> None:
        with self._quiet:
            self._setprice_choices(self.price_b, self.chip_b.value, allow_own=True)
            self._set_capex_default()
            self.matmul_b.value = efficiencies_of(self.workload.value, self.chip_b.value)[0]
            self._enable_what_if()
        self._refresh()

    def _on_change(self, change=None) -> None:
        if self._quiet:
            return
        if change is not None and change["owner"] in (self.price_a, self.price_b):
            self._enable_what_if()
        self._refresh()

    def _refresh(self) -> None:
        if self.message.guard(self._model) and self.result is not None:
            self._draw(self.result)

    # --- model → figures -----------------------------------------------------------------------------------

    def _draw(self, result: ScenarioResult) -> None:
        names = (load_chip(result.a.chip_id).display_name, load_chip(result.b.chip_id).display_name)
        first = self.costs_picture is None or self.owner_picture is None
        if self.costs_picture is None or self.owner_picture is None:
            self.costs_picture = ScenarioCostPicture(self.figure.new_axes(COSTS_RECT))
            self.owner_picture = OwnOrRentPicture(self.figure.figure.add_axes(OWNER_RECT))
        self.costs_picture.update(result, names)
        if self.owning is not None:
            self.owner_picture.update(self.owning, names[1])
        else:
            self.owner_picture.clear(f"owning {names[1]}: {self.owner_problem}")
        if first:
            self.figure.set_dynamic([*self.costs_picture.dynamic_artists, *self.owner_picture.dynamic_artists])
            self.figure.render()
        else:
            self.figure.render_dynamic()

    def _tornado(self) -> str:
        if self.scenario is None:
            raise ChiplabInputError("fix the inputs above first")
        sensitivity = scenario_sensitivity(self.scenario)
        ax = self.tornado_figure.new_axes(TORNADO_RECT)
        draw_tornado(sensitivity, ax=ax, metric_label="tokens per USD, A ÷ B (> 1: A cheaper per token)")
        self.tornado_figure.set_dynamic([])
        self.tornado_figure.render()
        flips = ", ".join(sensitivity.flips) or "none of them"
        return f"Each assumption moved alone across its range (labels at the bars); flips the winner: {flips}."

    def _on_tornado(self, _button=None) -> None:
        self.tornado_message.guard(self._tornado)


def cost_explorer(chip_a: str = "trainium2", chip_b: str = "h200", workload: str = "pre-train Llama 3 70B",
                  num_tokens: float = 1e12, what_if_usd_per_chip_hour: float | None = None) -> widgets.VBox:
    """A widget to display in one line: ``cost_explorer()``. Chip A's what-if price starts at B's price unless
    ``what_if_usd_per_chip_hour`` is given; pick a sourced offer from A's price list where one exists."""
    return CostExplorer(chip_a, chip_b, workload, num_tokens, what_if_usd_per_chip_hour).widget
