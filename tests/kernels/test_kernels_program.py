"""A kernel as data (chiplab.kernels.program): run.program replays to the same time and, on new inputs, to numpy's
values; a damaged or hostile program is refused with ChiplabInputError, never run as code.

Expected values come from numpy (the inputs rounded to bf16 as the HBM tensor does, then an fp32/fp64 product);
expected times from the original run, which the replay must reproduce exactly (the simulator is deterministic).
"""

import base64
import json
import zlib

import numpy as np
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.kernels import (
    PROGRAM_PREFIX,
    Kernel,
    decode_program,
    encode_program,
    program_inputs,
    replay,
    round_to_dtype,
    run_attention,
    run_dense,
    run_matmul,
    run_softmax,
)


def _bf16(array):
    return round_to_dtype(np.asarray(array, dtype=np.float32), "bf16").astype(np.float64)


@pytest.mark.parametrize("variant", ["naive", "tiled", "double_buffered"])
def test_a_replayed_matmul_takes_the_same_time_and_computes_numpys_product_of_new_inputs(variant):
    rng = np.random.default_rng(1)
    shape = (256, 1024, 384)
    run = run_matmul("trn2", shape=shape, variant=variant, values=False)
    a, b = rng.standard_normal((256, 384)), rng.standard_normal((384, 1024))
    again = replay(run.program, {"a_t": a.T.copy(), "b": b})
    assert again.total_s == run.total_s
    assert again.timeline.num_instructions == run.timeline.num_instructions
    expected = _bf16(a) @ _bf16(b)
    np.testing.assert_allclose(again.outputs["c"], expected, rtol=0, atol=1e-4 * np.abs(expected).max())


def test_every_instruction_kind_survives_the_round_trip():
    """dense (activation with a bias tile), softmax (reduce, activation with a number bias, tensor_tensor, scale),
    attention (fill, transpose) and a dot: each replays to the original's time and values."""
    rng = np.random.default_rng(2)
    x, w, bias = rng.standard_normal((512, 256)), rng.standard_normal((256, 128)), rng.standard_normal(128)
    dense = run_dense("trn1", x, w, bias, activation="tanh")
    again = replay(dense.program, {"x_t": x.T.copy(), "w": w, "bias": bias.reshape(-1, 1)})
    np.testing.assert_array_equal(again.outputs["y_t"], dense.outputs["y_t"])
    assert again.total_s == dense.total_s
    rows = rng.standard_normal((256, 64))
    soft = run_softmax("trn2", rows)
    np.testing.assert_array_equal(replay(soft.program, {"x": rows}).outputs["y"], soft.outputs["y"])
    q, k, v = (rng.standard_normal((512, 64)) for _ in range(3))
    att = run_attention("trn2", q, k, v)
    again = replay(att.program, {"q_t": q.T.copy(), "k_t": k.T.copy(), "v": v})
    np.testing.assert_array_equal(again.outputs["o"], att.outputs["o"])
    kernel = Kernel("tpu_v5e")
    xs, ys = kernel.hbm("x", np.eye(8)), kernel.hbm("y", np.arange(64.0).reshape(8, 8))
    out = kernel.hbm_output("z", (8, 8))
    tx, ty, acc = kernel.tile((8, 8), name="x"), kernel.tile((8, 8), name="y"), kernel.psum((8, 8))
    kernel.load(tx, xs)
    kernel.load(ty, ys)
    kernel.dot(acc, tx, ty)
    res = kernel.tile((8, 8), "fp32", name="res")
    kernel.copy(res, acc)
    kernel.store(out, res)
    run = kernel.finish()
    again = replay(run.program, {"x": np.eye(8), "y": np.ones((8, 8))})
    np.testing.assert_array_equal(again.outputs["z"], np.ones((8, 8)))
    assert again.total_s == run.total_s


def test_the_program_names_its_inputs_and_the_grader_may_choose_the_chip():
    run = run_matmul("trn2", shape=(128, 512, 256), variant="naive", values=False)
    assert program_inputs(run.program) == {"a_t": ((256, 128), "bf16"), "b": ((256, 512), "bf16")}
    assert decode_program(run.program)["chip"] == "trainium2"
    on_trn1 = replay(run.program, values=False, chip="trn1")
    assert on_trn1.total_s == run_matmul("trn1", shape=(128, 512, 256), variant="naive", values=False).total_s


def _program(entries, chip="trainium2"):
    return encode_program({"chip": chip, "dataflow": "ws", "name": "x", "program": entries})


@pytest.mark.parametrize(("text", "message"), [
    (42, "is the text run.program gives"),
    ("print('hi')", "is the text run.program gives"),
    (PROGRAM_PREFIX + "not base64!", "damaged"),
    (PROGRAM_PREFIX + base64.b64encode(b"not zlib").decode(), "damaged"),
    (PROGRAM_PREFIX + base64.b64encode(zlib.compress(b"[1, 2]")).decode(), "damaged"),
    (PROGRAM_PREFIX + "A" * 500_000, "at most"),
    (_program([["__import__", "os"]]), "unknown instruction '__import__'"),
    (_program([["hbm", "a", [4, 4], "bf16"], ["load", [7, [[0, 4], [0, 4]]], [0, [[0, 4], [0, 4]]], None]]),
     "operand is"),
    (_program([["hbm", "a", [4, 4], "bf16"], ["tile", [4, 4], "bf16", "t", "scratchpad"],
               ["load", [1, [[0, 4], [0, 9]]], [0, [[0, 4], [0, 4]]], None]]), "out of bounds"),
    (_program([["hbm", "a", [4, 4], "bf16"], ["tile", [4, 4], "bf16", "t", "scratchpad"],
               ["load", [1, [[0, 4], [0, 4]]], [0, [[0, 4], [0, 4]]], "q0"]]), "expected a queue"),
    (_program([["hbm", "a", [4, 4], "bf16"], ["tile", [4, 4], "bf16", "t", "scratchpad"],
               ["load", [1, [[0, [4]], [0, 4]]], [0, [[0, 4], [0, 4]]], None]]), "operand is"),
    (_program([["tile", [4, 4], "bf16", "t", "scratchpad"], ["matmul", [0, [[0, 4], [0, 4]]],
               [0, [[0, 4], [0, 4]]], [0, [[0, 4], [0, 4]]], True]]), "before anything was written"),
    (_program([["tile", [999, 4], "bf16", "t", "scratchpad"]]), "partitions is over the limit"),
    (_program([["hbm", "b", [4, 4], "bf16"]]), "HBM input 'b' that was not given"),
    (_program([["hbm", "a", [8, 8], "bf16"]]), "declares HBM input 'a' with shape (8, 8)"),
])
def test_a_damaged_or_hostile_program_is_refused_with_a_reason(text, message):
    with pytest.raises(ChiplabInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        replay(text, {"a": np.ones((4, 4))})


def test_a_compression_bomb_is_refused_before_it_is_expanded():
    bomb = PROGRAM_PREFIX + base64.b64encode(zlib.compress(b"[" + b" " * 21_000_000 + b"]", 9)).decode()
    with pytest.raises(ChiplabInputError, match="expands to more than"):
        decode_program(bomb)


def test_the_text_is_plain_json_underneath():
    run = run_matmul("trn2", shape=(128, 512, 128), variant="naive", values=False)
    data = json.loads(zlib.decompress(base64.b64decode(run.program[len(PROGRAM_PREFIX):])))
    kinds = [entry[0] for entry in data["program"]]
    assert kinds.count("matmul") == 1 and kinds.count("load") == 2 and kinds.count("store") == 1
