"""The ``chiplab`` command under hypothesis, through ``main(argv)``: any command line gets exit status 0 (an
answer), 1 (nothing could be estimated, with reasons) or 2 (a one-line error) — never a traceback, a hang or
non-standard JSON."""

from __future__ import annotations

import contextlib
import io
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness._hostile import NAMES, call_bounded

from chiplab.cli import main

# Values a user might type after a flag: numbers of every kind, as text.
TYPED = st.one_of(
    st.sampled_from(["0", "1", "-1", "2", "3", "8", "16", "64", "1e3", "1e12", "nan", "inf", "-inf", "1.5", "0.5",
                     "1e308", "1e400", "2147483648", "9223372036854775808", "1" + "0" * 40, "", "x", "-4x4",
                     "4x4", "128x128", "0x4", "4096x4096", "3x", "×", "1_000"]),
    st.sampled_from(NAMES),
    st.integers(min_value=-(2**65), max_value=2**65).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)
DIMS = st.one_of(st.integers(min_value=-2, max_value=300).map(str), TYPED)
MODELS = st.sampled_from(["llama3-8b", "llama32-3b", "llama3-70b", "llama3-405b", "gpt3-175b", "palm-540b", "x", ""])
CHIPS = st.one_of(st.sampled_from(["h100", "trn2", "toy_4x4", "tpu-v5e,h100", "", ",", "nope", "a100,a100"]), TYPED)


def _flags(pairs: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A few of ``pairs``' flags with hostile values, in any order."""
    options = [st.tuples(st.just(flag), value) for flag, value in pairs.items()]
    return st.lists(st.one_of(*options), max_size=3).map(lambda items: [part for item in items for part in item])


SYSTOLIC_FLAGS = {"--array": TYPED, "--dataflow": st.sampled_from(["ws", "os", "is", "rs", "WS"])}
COMMANDS = st.one_of(
    st.tuples(st.just(["gemm"]), st.lists(DIMS, min_size=3, max_size=3),
              _flags({**SYSTOLIC_FLAGS, "--convention": st.sampled_from(["pipelined", "scalesim", "x"]),
                      "--chip": CHIPS, "--dtype": st.sampled_from(["bf16", "fp8", "fp7", "BF16"])})),
    st.tuples(st.just(["simulate"]), st.lists(st.integers(min_value=-1, max_value=40).map(str) | TYPED,
                                               min_size=3, max_size=3),
              _flags({**SYSTOLIC_FLAGS, "--seed": TYPED})),
    st.tuples(st.just(["train"]), MODELS.map(lambda m: [m]),
              _flags({"--chips": CHIPS, "--tp": TYPED, "--pp": TYPED, "--dp": TYPED, "--batch": TYPED,
                      "--seq": TYPED, "--tokens": TYPED, "--zero": TYPED, "--recompute": TYPED})),
    st.tuples(st.just(["serve"]), MODELS.map(lambda m: [m]),
              _flags({"--chips": CHIPS, "--tp": TYPED, "--batch": TYPED, "--prompt": TYPED, "--output": TYPED,
                      "--utilization": TYPED, "--price-kind": TYPED})),
    st.tuples(st.just(["chip"]), CHIPS.map(lambda c: [c]), st.just([])),
)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = call_bounded(main, argv)
    return status, out.getvalue(), err.getvalue()


def _refuse_constant(constant: str):
    raise AssertionError(f"non-standard JSON constant {constant}")


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(COMMANDS, st.booleans())
def test_every_command_line_answers_or_explains(command, as_json):
    words, positional, flags = command
    argv = [*words, *positional, *flags, *(["--json"] if as_json else [])]
    status, out, err = _run(argv)
    assert status in (0, 1, 2), (argv, status)
    assert "Traceback" not in out + err
    if status == 2:
        assert err.strip(), argv  # an error says what is wrong
    if status == 1:
        assert "nothing could be estimated" in err or as_json
    if as_json and status in (0, 1):
        shown = json.loads(out, parse_constant=_refuse_constant)
        numbers = [v for row in (shown.get("rows", []) if isinstance(shown, dict) else []) for v in row.values()]
        assert all(math.isfinite(v) for v in numbers if isinstance(v, float))
