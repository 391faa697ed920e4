"""Lazily computed matmul values (chiplab.kernels.chains): joined K-tiles, and waiting chains computed together.

Expected values are numpy's own products (float64) of the bf16-rounded inputs, and numpy's own concatenation;
tolerances are fp32 accumulation-order differences scaled by the contraction depth, as in test_kernels_values.
"""

import numpy as np
import pytest

from chiplab.kernels import Kernel, core_params, default_tiling, round_to_dtype, run_matmul
from chiplab.kernels.chains import _adjacent_view


def _bf16(array):
    return round_to_dtype(np.asarray(array, dtype=np.float32), "bf16").astype(np.float64)


def _close(actual, expected, depth):
    scale = np.abs(expected).max() + 1.0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=scale * depth * 2e-6)


def test_adjacent_parts_join_as_a_view_equal_to_numpys_concatenation():
    whole = np.arange(48, dtype=np.float32).reshape(6, 8)
    rows = [whole[0:2, 2:5], whole[2:3, 2:5], whole[3:6, 2:5]]
    joined = _adjacent_view(rows, 0)
    np.testing.assert_array_equal(joined, np.concatenate(rows, axis=0))
    assert np.shares_memory(joined, whole) and not joined.flags.writeable
    columns = [whole.T[:, 0:3], whole.T[:, 3:6]]          # an F-ordered array's parts
    np.testing.assert_array_equal(_adjacent_view(columns, 1), np.concatenate(columns, axis=1))


@pytest.mark.parametrize("parts", [
    lambda w: [w[0:2, 0:4], w[3:5, 0:4]],                 # a gap between them
    lambda w: [w[2:4, 0:4], w[0:2, 0:4]],                 # out of order
    lambda w: [w[0:2, 0:4], w[2:4, 0:3]],                 # different widths
    lambda w: [w[0:2, 0:4], np.ones((2, 4), np.float32)],  # different arrays
])
def test_parts_that_are_not_one_span_are_not_joined_as_a_view(parts):
    assert _adjacent_view(parts(np.zeros((6, 8), np.float32)), 0) is None


def _grid_kernel(rng, pairs, shared_strips=True, accumulate_first=False):
    """Tiles (i, j) of C = A @ B (A: 256 x 256, B: 256 x 1024; 128-row, 512-column tiles over two K-tiles) for
    the ``pairs`` given, every tile's matmuls issued before any result is copied out."""
    a, b = rng.standard_normal((256, 256)), rng.standard_normal((256, 1024))
    k = Kernel("trn2")
    if shared_strips:   # strips loaded from one HBM tensor each: their K-tiles are parts of one array
        a_t, b_in = k.hbm("a_t", a.T), k.hbm("b", b)
        a_src = [[a_t[kk * 128:(kk + 1) * 128, i * 128:(i + 1) * 128] for i in range(2)] for kk in range(2)]
        b_src = [[b_in[kk * 128:(kk + 1) * 128, j * 512:(j + 1) * 512] for j in range(2)] for kk in range(2)]
    else:               # every K-tile a tensor of its own: the chain concatenates copies
        a_src = [[k.hbm(f"a{kk}{i}", a.T[kk * 128:(kk + 1) * 128, i * 128:(i + 1) * 128]) for i in range(2)]
                 for kk in range(2)]
        b_src = [[k.hbm(f"b{kk}{j}", b[kk * 128:(kk + 1) * 128, j * 512:(j + 1) * 512]) for j in range(2)]
                 for kk in range(2)]
    a_tiles = [[k.tile((128, 128), name=f"a{kk}{i}") for i in range(2)] for kk in range(2)]
    b_tiles = [[k.tile((128, 512), name=f"b{kk}{j}") for j in range(2)] for kk in range(2)]
    for kk in range(2):
        for i in range(2):
            k.load(a_tiles[kk][i], a_src[kk][i])
            k.load(b_tiles[kk][i], b_src[kk][i])
    c = k.hbm_output("c", (256, 1024))
    accs = {pair: k.psum((128, 512), name=f"acc{pair}") for pair in pairs}
    out = k.tile((128, 512), "fp32", name="out")
    if accumulate_first:   # the first tile starts from an earlier product of the same operands
        i, j = pairs[0]
        k.matmul(accs[i, j], a_tiles[0][i], b_tiles[0][j])
        k.copy(out, accs[i, j])
    for (i, j), acc in accs.items():
        onto_earlier = accumulate_first and (i, j) == pairs[0]
        for kk in range(2):
            k.matmul(acc, a_tiles[kk][i], b_tiles[kk][j], accumulate=kk > 0 or onto_earlier)
    for (i, j), acc in accs.items():
        k.copy(out, acc)
        k.store(c[i * 128:(i + 1) * 128, j * 512:(j + 1) * 512], out)
    expected = _bf16(a) @ _bf16(b)
    if accumulate_first:
        i, j = pairs[0]
        expected[i * 128:(i + 1) * 128, j * 512:(j + 1) * 512] += (
            _bf16(a)[i * 128:(i + 1) * 128, :128] @ _bf16(b)[:128, j * 512:(j + 1) * 512])
    return k.finish().outputs["c"], expected


@pytest.mark.parametrize("shared_strips", [True, False])
@pytest.mark.parametrize("pairs", [
    [(0, 0), (0, 1), (1, 0), (1, 1)],   # a full 2 x 2 grid: one product
    [(1, 1), (0, 0), (1, 0), (0, 1)],   # the same grid issued out of order
    [(0, 0), (0, 1), (1, 0)],           # an incomplete grid: a row of two, then the rest
    [(0, 1), (1, 0)],                   # no operand shared
])
def test_waiting_chains_computed_together_equal_numpy(pairs, shared_strips):
    got, expected = _grid_kernel(np.random.default_rng(len(pairs)), pairs, shared_strips)
    for i, j in pairs:
        rows, cols = slice(i * 128, (i + 1) * 128), slice(j * 512, (j + 1) * 512)
        _close(got[rows, cols], expected[rows, cols], 256)
    untouched = [(i, j) for i in range(2) for j in range(2) if (i, j) not in pairs]
    for i, j in untouched:
        assert not got[i * 128:(i + 1) * 128, j * 512:(j + 1) * 512].any()


def test_a_chain_accumulating_onto_an_earlier_result_keeps_it_in_a_batch():
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    got, expected = _grid_kernel(np.random.default_rng(5), pairs, accumulate_first=True)
    _close(got, expected, 384)


def test_overwriting_part_of_one_batched_tile_leaves_the_others_alone():
    """Tiles computed in one product keep parts of it; a later partial write into one must not reach another."""
    rng = np.random.default_rng(9)
    a, b, z = rng.standard_normal((128, 256)), rng.standard_normal((128, 1024)), rng.standard_normal((128, 64))
    k = Kernel("trn2")
    a_in, b_in, z_in = k.hbm("a_t", a), k.hbm("b", b), k.hbm("z", z)
    ta, tz = k.tile((128, 256), name="a"), k.tile((128, 64), name="z")
    tb = [k.tile((128, 512), name=f"b{j}") for j in range(2)]
    k.load(ta, a_in), k.load(tz, z_in)
    for j in range(2):
        k.load(tb[j], b_in[:, j * 512:(j + 1) * 512])
    accs = [[k.psum((128, 512), name=f"acc{i}{j}") for j in range(2)] for i in range(2)]
    for i in range(2):
        for j in range(2):
            k.matmul(accs[i][j], ta[:, i * 128:(i + 1) * 128], tb[j])
    k.copy(k.tile((128, 512), "fp32", name="first"), accs[0][0])   # computes all four together
    k.matmul(accs[0][0][:, 0:64], ta[:, 0:128], tz)                  # overwrite part of one tile in place
    c = k.hbm_output("c", (256, 1024))
    out = k.tile((128, 512), "fp32", name="out")
    for i in range(2):
        for j in range(2):
            k.copy(out, accs[i][j])
            k.store(c[i * 128:(i + 1) * 128, j * 512:(j + 1) * 512], out)
    got = k.finish().outputs["c"]
    expected = _bf16(a).T @ _bf16(b)   # a is given as Aᵀ (K x M)
    expected[0:128, 0:64] = _bf16(a)[:, 0:128].T @ _bf16(z)
    _close(got, expected, 128)


def _interleaved_matmul_s(shape, block_m, block_n):
    """The worked double-buffered matmul written the other way round (each tile copied out right after its
    matmuls): the same instruction stream on every engine, so it must take exactly the same time."""
    m, n, kdim = shape
    k = Kernel("trn2", values=False)
    a_t, b, c = k.hbm("a_t", shape=(kdim, m)), k.hbm("b", shape=(kdim, n)), k.hbm_output("c", (m, n))
    num_k = kdim // 128
    strips_a = [[k.tile((128, block_m), name=f"a{s}{kk}") for kk in range(num_k)] for s in range(2)]
    strips_b = [[k.tile((128, block_n), name=f"b{s}{kk}") for kk in range(num_k)] for s in range(2)]
    accs = [[k.psum((128, 512)) for _ in range(block_n // 512)] for _ in range(block_m // 128)]
    outs = [k.tile((128, 512), "fp32", name=f"out{s}") for s in range(2)]
    queues = k.params.num_dma_queues
    step = block = 0

    def load(dst, src):
        queue = k.next_queue()
        k.load(dst, src, queue=k.next_queue() if queue == queues - 1 else queue)

    for bi in range(m // block_m):
        sa = strips_a[bi % 2]
        for kk in range(num_k):
            load(sa[kk], a_t[kk * 128:(kk + 1) * 128, bi * block_m:(bi + 1) * block_m])
        for bj in range(n // block_n):
            sb = strips_b[block % 2]
            block += 1
            for kk in range(num_k):
                load(sb[kk], b[kk * 128:(kk + 1) * 128, bj * block_n:(bj + 1) * block_n])
            for i, row in enumerate(accs):
                for j, acc in enumerate(row):
                    for kk in range(num_k):
                        k.matmul(acc, sa[kk][:, i * 128:(i + 1) * 128], sb[kk][:, j * 512:(j + 1) * 512],
                                 accumulate=kk > 0)
                    out = outs[step % 2]
                    step += 1
                    k.copy(out, acc)
                    r, col = bi * block_m + i * 128, bj * block_n + j * 512
                    k.store(c[r:r + 128, col:col + 512], out, queue=queues - 1)
    run = k.finish()
    return run.total_s, [e.busy_s for e in run.engines]


@pytest.mark.parametrize("shape", [(512, 1024, 256), (1024, 2048, 512), (256, 1024, 128)])
def test_issuing_every_matmul_of_a_block_first_takes_the_same_time(shape):
    run = run_matmul("trn2", shape=shape, values=False)
    tiling = default_tiling(core_params("trn2"), "double_buffered", shape)
    assert (run.total_s, [e.busy_s for e in run.engines]) == _interleaved_matmul_s(
        shape, tiling.block_m, tiling.block_n)
