"""Bad kernels raise ChiplabInputError naming the instruction, its line in the kernel and what is allowed, and
the published per-instruction limits of the NeuronCore are the ones enforced.

Limits cited (accessed 2026-12-07):
* 128 partitions: https://awsdocs-neuron.readthedocs-hosted.com/en/latest/nki/about/tiling-overview.html
* matmul: partition size <= 128, stationary free size <= 128, moving free size <= 512, inputs in SBUF, output
  fp32 in PSUM: https://awsdocs-neuron.readthedocs-hosted.com/en/v2.26.1/nki/api/generated/nki.isa.nc_matmul.html
* PSUM bank = 512 fp32 per partition (2 KiB), 8 banks:
  https://awsdocs-neuron.readthedocs-hosted.com/en/v2.30.0/nki/api/nki.language.tile_size.html
"""

import inspect
import re

import numpy as np
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.kernels import Kernel, core_params, run_matmul


def _next_line():
    """The line of the instruction: the one after the ``with pytest.raises`` that follows the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 2


def _assert_message(info, pattern):
    assert re.search(pattern, str(info.value)), str(info.value)


def _kernel():
    return Kernel("trn2", values=False)


def test_published_neuroncore_limits_are_the_parameters():
    params = core_params("trn2")
    assert params.num_partitions == 128
    assert params.accumulator_bank_bytes_per_partition == 2048
    assert (params.matmul_max_stationary_free, params.matmul_max_moving_free) == (128, 512)
    # 8 banks x 2 KiB x 128 partitions = the catalog's 2 MiB PSUM (chiplab/data/chips/trainium2.toml)
    assert params.accumulator.capacity_bytes == 8 * 2048 * 128
    assert all(a.kind in ("published", "assumption") and a.note for a in params.sources)


def test_tile_over_the_partition_limit():
    k = _kernel()
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.tile((129, 4), name="big")
    _assert_message(info, rf"tile 'big' at line {line}: 129 partitions .* must be <= 128")


def test_sbuf_over_capacity_says_by_how_much_and_who_holds_it():
    k = _kernel()
    k.tile((128, 100_000), "bf16", name="first")                 # 200,000 of 229,376 bytes per partition
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.tile((128, 100_000), "bf16", name="second")
    _assert_message(info, rf"tile 'second' at line {line}: SBUF is over capacity by "
                    r"170,624 bytes per partition.*'first'")


def test_psum_tiles_must_fit_a_bank_and_there_are_eight():
    k = _kernel()
    with pytest.raises(ChiplabInputError, match=r"over the PSUM bank size.*2,048 bytes per partition"):
        k.psum((128, 513))
    for i in range(8):
        k.psum((128, 512), name=f"acc {i}")
    with pytest.raises(ChiplabInputError, match="PSUM is over capacity"):
        k.psum((128, 1), name="ninth")


def test_matmul_limits_and_memories():
    k = Kernel("trn2")
    a = k.hbm("a", np.ones((128, 256)), dtype="bf16")
    wide = k.tile((128, 256), name="wide")
    k.load(wide, a)
    acc = k.psum((128, 512))
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.matmul(acc[:, 0:256], wide, wide)
    _assert_message(info, rf"matmul into acc.* at line {line}: stationary free size 256 is "
                    r"over the Tensor Engine limit of 128")
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.matmul(acc[:, 0:128], a[:, 0:128], wide[:, 0:128])
    _assert_message(info, rf"line {line}: operand a\[.*\] is in HBM; matmul operands must "
                    r"be tiles in SBUF")
    out = k.tile((128, 128), "fp32", name="out")
    with pytest.raises(ChiplabInputError, match="result must go to an fp32 tile in PSUM"):
        k.matmul(out, wide[:, 0:128], wide[:, 0:128])


def test_dtype_mismatch_in_a_dma_and_a_matmul():
    k = Kernel("trn2")
    a = k.hbm("a", np.ones((128, 128)), dtype="fp32")
    t16 = k.tile((128, 128), "bf16", name="t16")
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.load(t16, a)
    _assert_message(info, rf"load into t16.* at line {line}: dtype mismatch: fp32 → bf16")
    t32 = k.tile((128, 128), "fp32", name="t32")
    k.load(t32, a)
    k.load(t16, k.hbm("b", np.ones((128, 128)), dtype="bf16"))
    with pytest.raises(ChiplabInputError, match="dtype mismatch: operands are fp32 and bf16"):
        k.matmul(k.psum((128, 128)), t32, t16)


def test_out_of_bounds_slice():
    k = _kernel()
    t = k.tile((128, 64), name="t")
    with pytest.raises(ChiplabInputError, match=r"tile 't': axis 1 slice 32:96 is out of bounds; the axis has "
                                                r"length 64"):
        t[:, 32:96]


def test_reading_a_tile_before_it_is_written():
    k = _kernel()
    x, y = k.tile((128, 64), "fp32", name="x"), k.tile((128, 64), "fp32", name="y")
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.copy(y, x)
    _assert_message(info, rf"copy into y.* at line {line}: reads tile 'x' \(allocated at "
                    r"line \d+\) before anything was written")


def test_engines_do_not_compute_on_hbm_and_shapes_must_agree():
    k = Kernel("trn2")
    a = k.hbm("a", np.ones((128, 64)))
    t = k.tile((128, 64), name="t")
    with pytest.raises(ChiplabInputError, match="is in HBM; engines compute on tiles only"):
        k.copy(t, a)
    with pytest.raises(ChiplabInputError, match=r"shapes differ: t\[0:128, 0:32\] is \(128, 32\)"):
        k.load(t[:, 0:32], a)


def test_bad_arguments_to_the_worked_kernels():
    with pytest.raises(ChiplabInputError, match="variant must be one of naive, tiled, double_buffered"):
        run_matmul("trn2", shape=(128, 512, 128), variant="fast", values=False)
    with pytest.raises(ChiplabInputError, match="must be a multiple of the block size"):
        run_matmul("trn2", shape=(100, 512, 128), values=False)
    with pytest.raises(ChiplabInputError, match="kernel simulator models"):
        Kernel("h100")
    with pytest.raises(ChiplabInputError, match="no NaN or inf"):
        Kernel("trn2").hbm("a", np.array([[np.nan]]))


def test_pallas_block_specs_are_checked():
    from chiplab.kernels import BlockSpec, pallas_call, pallas_matmul

    def body(x_ref, o_ref, pl):
        pl.copy(o_ref, x_ref)

    spec = BlockSpec((128, 128), lambda i: (i, 0))
    call = pallas_call(body, chip="tpu_v5e", grid=(3,), in_specs=[spec], out_spec=spec, out_shape=(256, 128),
                       dtype="fp32", values=False)
    with pytest.raises(ChiplabInputError, match=r"in_specs\[0\]: block \(2, 0\) is out of bounds on axis 0"):
        call((256, 128))
    with pytest.raises(ChiplabInputError, match="1 in_specs but 2 inputs"):
        call((256, 128), (256, 128))
    with pytest.raises(ChiplabInputError, match="grid"):
        pallas_call(body, chip="tpu_v5e", grid=(0,), in_specs=[spec], out_spec=spec, out_shape=(256, 128))
    with pytest.raises(ChiplabInputError, match="must be multiples of the block"):
        pallas_matmul("tpu_v5e", shape=(300, 256, 256), block=(128, 128, 128), values=False)
    with pytest.raises(ChiplabInputError, match="VMEM is over capacity"):
        pallas_matmul("tpu_v4", shape=(8192, 8192, 8192), block=(4096, 4096, 512), values=False)


def test_huge_problems_are_refused_before_any_work():
    with pytest.raises(ChiplabInputError, match=r"would issue about .* instructions"):
        run_matmul("trn2", shape=(65536, 65536, 65536), values=False)
    from chiplab.kernels import run_attention

    with pytest.raises(ChiplabInputError, match="would issue about"):
        run_attention("trn2", shape=(262144, 128), values=False)


@pytest.mark.parametrize("call", [
    lambda: __import__("chiplab.kernels").kernels.run_softmax("trn2", "hello"),
    lambda: run_matmul("trn2", shape=(128, 512), values=False),
    lambda: run_matmul("trn2", np.ones((3,)), np.ones((3,))),
    lambda: __import__("chiplab.kernels").kernels.pallas_matmul("tpu_v5e", np.ones((4, 4)), np.ones((4, 4)),
                                                               block=(0, 1, 1)),
    lambda: __import__("chiplab.kernels").kernels.run_attention("trn2", shape="big", values=False),
    lambda: Kernel(3),
], ids=["softmax-of-a-string", "short-shape", "1-d-matrices", "zero-block", "shape-string", "chip-int"])
def test_garbage_in_gives_a_clear_error(call):
    with pytest.raises(ChiplabInputError):
        call()


def test_inf_or_nan_from_an_instruction_names_it():
    k = Kernel("trn2")
    x = k.tile((128, 4), "fp32", name="x")
    k.load(x, k.hbm("x", np.full((128, 4), 100.0), dtype="fp32"))
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.activation(x, x, "exp")
    _assert_message(info, rf"activation:exp into x.* at line {line}: activation:exp produced inf or NaN")


def test_a_psum_error_names_the_kernel_line_not_the_library():
    k = _kernel()
    line = _next_line()
    with pytest.raises(ChiplabInputError) as info:
        k.psum((128, 1024), name="too wide")
    _assert_message(info, rf"tile 'too wide' at line {line}: 4,096 bytes per partition is over the PSUM bank")


def test_public_helpers_check_their_arguments():
    """Issue 10 item 8: each raised TypeError/AttributeError/ValueError from numpy or Python before these checks."""
    from chiplab.kernels import (
        BlockSpec,
        ProgramContext,
        View,
        default_tiling,
        instruction_tile,
        pallas_call,
        round_to_dtype,
    )

    with pytest.raises(ChiplabInputError, match=r"params must be a CoreParams.*got 0 \(int\)"):
        instruction_tile(0)
    with pytest.raises(ChiplabInputError, match=r"shape must be a tuple of 3 whole numbers; got 0"):
        default_tiling(core_params("trn2"), "naive", 0)
    with pytest.raises(ChiplabInputError, match=r"round_to_dtype: values must be an array of numbers; got str"):
        round_to_dtype("x", "bf16")
    with pytest.raises(ChiplabInputError, match=r"dtype must be one of fp32, bf16, fp16; got \['bf16'\]"):
        round_to_dtype([1.0], ["bf16"])
    kernel = Kernel("tpu_v5e", values=False)
    tile = kernel.tile((128, 128), name="t")
    with pytest.raises(ChiplabInputError, match=r"buffer must be a Tensor or Tile"):
        View(0, 0, 0)
    with pytest.raises(ChiplabInputError, match=r"shape must be the shape the index selects, \(64, 1\); got \(64, 2\)"):
        View(tile, (slice(0, 64), 3), (64, 2))
    assert View(tile, (slice(0, 64), 3), (64, 1)).num_elements == 64
    with pytest.raises(ChiplabInputError, match=r"kernel must be a Kernel"):
        ProgramContext(0, (1,))
    with pytest.raises(ChiplabInputError, match=r"axis must be below the grid's 2 axes; got 5"):
        ProgramContext(kernel, (2, 3)).program_id(5)
    spec = BlockSpec((128,), lambda i: (i,))
    with pytest.raises(ChiplabInputError, match=r"grid must be a tuple of whole numbers >= 1, e.g. \(2, 2\); got 0"):
        pallas_call(lambda *refs: None, chip="tpu_v5e", grid=0, in_specs=[], out_spec=spec, out_shape=(128,))
    with pytest.raises(ChiplabInputError, match=r"would issue about"):  # 2**80 grid points: refused, not listed
        pallas_call(lambda *refs: None, chip="tpu_v5e", grid=(2**40, 2**40), in_specs=[], out_spec=spec,
                    out_shape=(128,))
    with pytest.raises(ChiplabInputError, match=r"block_shape\[0\] must be a whole number >= 1; got 0"):
        BlockSpec((0,), lambda i: (i,))
