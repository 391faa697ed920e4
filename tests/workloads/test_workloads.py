"""Conv layers lowered to GEMMs by im2col, checked against numpy and against ResNet-50's published shapes."""

import numpy as np
import pytest

from chiplab import Conv2d, Gemm, SystolicArraySpec, estimate, simulate


def test_resnet50_conv1_im2col_shape():
    # ResNet-50 conv1: 224×224×3 input, 64 filters of 7×7, stride 2, padding 3 → 112×112 output
    # (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, Table 1).
    conv = Conv2d(ifmap_h=224, ifmap_w=224, filter_h=7, filter_w=7, channels=3, num_filters=64, stride=2, padding=3)
    assert (conv.out_h, conv.out_w) == (112, 112)
    assert conv.to_gemm() == Gemm(m=112 * 112, n=64, k=7 * 7 * 3)


def test_im2col_gemm_equals_direct_convolution():
    """Build the im2col matrix, run it through the simulator, compare with a direct numpy convolution."""
    rng = np.random.default_rng(3)
    conv = Conv2d(ifmap_h=6, ifmap_w=5, filter_h=3, filter_w=2, channels=2, num_filters=3, stride=1)
    image = rng.integers(-4, 4, (conv.ifmap_h, conv.ifmap_w, conv.channels))
    filters = rng.integers(-4, 4, (conv.filter_h, conv.filter_w, conv.channels, conv.num_filters))
    windows = np.lib.stride_tricks.sliding_window_view(image, (conv.filter_h, conv.filter_w), axis=(0, 1))
    # windows: out_h × out_w × channels × fh × fw → rows of A in (fh, fw, channels) order like filters.
    a = windows.transpose(0, 1, 3, 4, 2).reshape(conv.out_h * conv.out_w, -1)
    b = filters.reshape(-1, conv.num_filters)
    direct = np.einsum("hwcyx,yxcf->hwf", windows, filters).reshape(-1, conv.num_filters)
    run = simulate(a, b, SystolicArraySpec(num_rows=4, num_cols=2), "ws")
    np.testing.assert_array_equal(run.product, direct)
    gemm = conv.to_gemm()
    assert a.shape == (gemm.m, gemm.k) and b.shape == (gemm.k, gemm.n)


def test_estimate_accepts_a_conv_layer():
    conv = Conv2d(ifmap_h=56, ifmap_w=56, filter_h=3, filter_w=3, channels=64, num_filters=64, padding=1)
    array = SystolicArraySpec(num_rows=32, num_cols=32)
    assert estimate(conv, array).total_cycles == estimate(conv.to_gemm(), array).total_cycles


@pytest.mark.parametrize("dtype", ["int8", "bf16", "fp32"])
def test_flops_count_a_mac_as_two(dtype):
    assert Gemm(m=3, n=5, k=7, dtype=dtype).num_flops == 2 * 3 * 5 * 7


@pytest.mark.parametrize(("dtype", "numpy_name"), [("fp64", "float64"), ("fp32", "float32"), ("fp16", "float16"),
                                                   ("int8", "int8"), ("int32", "int32")])
def test_the_one_dtype_table_agrees_with_numpy(dtype, numpy_name):
    """chiplab.units.FORMAT_BITS is the one table: a GEMM's bytes per element, a stored weight's bits and the formats
    a chip may quote a peak for all come from it; numpy's item sizes check the formats numpy has."""
    from chiplab.hardware import DTYPES
    from chiplab.units import FORMAT_BITS
    from chiplab.workloads.gemm import DTYPE_BITS, DTYPE_BYTES

    bits = np.dtype(numpy_name).itemsize * 8
    assert FORMAT_BITS[dtype] == DTYPE_BITS[dtype] == 8 * DTYPE_BYTES[dtype] == bits
    assert (dtype in DTYPES) == (dtype != "int32")  # int32 is an accumulator, never a chip's quoted peak
