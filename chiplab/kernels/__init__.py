"""Program the chip: a small tile language (NKI-like, with a Pallas-style front end) executed on a simulated
NeuronCore or TPU TensorCore, returning the values AND the time, engine by engine.

>>> import numpy as np
>>> from chiplab.kernels import Kernel
>>> k = Kernel("trn2")
>>> a = k.hbm("a", np.ones((128, 128))); b = k.hbm("b", np.ones((128, 512))); c = k.hbm_output("c", (128, 512))
>>> ta, tb, acc = k.tile((128, 128), name="a"), k.tile((128, 512), name="b"), k.psum((128, 512))
>>> k.load(ta, a); k.load(tb, b); k.matmul(acc, ta, tb)
>>> out = k.tile((128, 512), "fp32", name="out"); k.copy(out, acc); k.store(c, out)
>>> run = k.finish()
>>> float(run.outputs["c"][0, 0])
128.0
"""

from chiplab.kernels.attention import ATTENTION_VARIANTS, run_attention
from chiplab.kernels.compare import WORKED_KERNELS, compare_variants
from chiplab.kernels.fused import FUSED_VARIANTS, run_dense
from chiplab.kernels.language import MAX_INSTRUCTIONS, Kernel
from chiplab.kernels.matmul import VARIANTS as MATMUL_VARIANTS
from chiplab.kernels.matmul import MatmulTiling, default_tiling, instruction_tile, run_matmul
from chiplab.kernels.pallas import BlockSpec, ProgramContext, pallas_call, pallas_matmul
from chiplab.kernels.params import Assumption, CoreParams, core_params, supported_chips
from chiplab.kernels.program import PROGRAM_PREFIX, decode_program, encode_program, program_inputs, replay
from chiplab.kernels.result import EngineUsage, KernelRun, LevelTraffic, RooflinePosition, Timeline
from chiplab.kernels.rowwise import ROWWISE_VARIANTS, run_layer_norm, run_softmax
from chiplab.kernels.tiles import TILE_DTYPE_BYTES, Tensor, Tile, View, round_to_dtype

__all__ = [
    "ATTENTION_VARIANTS",
    "FUSED_VARIANTS",
    "MATMUL_VARIANTS",
    "MAX_INSTRUCTIONS",
    "PROGRAM_PREFIX",
    "ROWWISE_VARIANTS",
    "TILE_DTYPE_BYTES",
    "WORKED_KERNELS",
    "Assumption",
    "BlockSpec",
    "CoreParams",
    "EngineUsage",
    "Kernel",
    "KernelRun",
    "LevelTraffic",
    "MatmulTiling",
    "ProgramContext",
    "RooflinePosition",
    "Tensor",
    "Tile",
    "Timeline",
    "View",
    "compare_variants",
    "core_params",
    "decode_program",
    "default_tiling",
    "encode_program",
    "instruction_tile",
    "pallas_call",
    "pallas_matmul",
    "program_inputs",
    "replay",
    "round_to_dtype",
    "run_attention",
    "run_dense",
    "run_layer_norm",
    "run_matmul",
    "run_softmax",
    "supported_chips",
]
