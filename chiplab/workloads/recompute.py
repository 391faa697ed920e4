"""Activation recomputation: the forward work a training step does again in its backward pass.

Recomputed ops carry ``stage="recompute"``, so they count as hardware FLOPs but not model FLOPs (MFU). Full
recomputation keeps only each layer's input and reruns its forward (Chen et al. 2016, "Training Deep Nets with
Sublinear Memory Cost"); selective recomputation redoes only core attention (Korthikanti et al. 2022, Sec. 5);
FlashAttention's backward always recomputes QKᵀ and the softmax (Dao et al. 2022, Sec. 3.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._checks import non_negative_int
from chiplab.errors import ChiplabInputError
from chiplab.workloads.ops import Op, with_count

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig

# How much of its forward work a training step keeps or does again: every layer's activations kept, core attention
# recomputed (selective), or only each layer's input kept and the whole forward rerun (full).
RECOMPUTE_MODES = ("none", "selective", "full")


def recomputed_ops(config: TransformerConfig, layer: tuple[Op, ...], recompute: str,
                   flash_attention: bool, recompute_num_layers: int | None = None) -> list[Op]:
    """Forward work done again in the backward pass. With ``recompute_num_layers`` (Megatron-LM's
    ``--recompute-method block --recompute-num-layers N``) only N layers are fully recomputed; the others keep
    their activations and redo only what FlashAttention's backward always redoes."""
    flash = {"scores", "softmax"} if flash_attention else set()  # FlashAttention recomputes S = QKᵀ, P = softmax(S)
    if recompute == "full":  # keep only each layer's input; rerun its forward (Chen et al. 2016)
        full_layers = config.num_layers if recompute_num_layers is None else recompute_num_layers
        ops = [with_count(op, full_layers, stage="recompute") for op in layer] if full_layers else []
        rest = config.num_layers - full_layers
        return ops + ([with_count(op, rest, stage="recompute") for op in layer if op.name in flash] if rest else [])
    names = {"scores", "softmax", "attn_values"} if recompute == "selective" and not flash_attention else set()
    names |= flash  # selective: Korthikanti et al. 2022, Sec. 5, core attention
    return [with_count(op, config.num_layers, stage="recompute") for op in layer if op.name in names]


def check_recompute_num_layers(config: TransformerConfig, recompute: str, num_layers: int | None) -> int | None:
    """``recompute_num_layers`` is None, or a count in [0, num_layers] that only ``recompute="full"`` takes."""
    if num_layers is None:
        return None
    if recompute != "full":
        raise ChiplabInputError(f"recompute_num_layers ({num_layers!r}) needs recompute='full' (the layers it "
                                f"names are fully recomputed); got recompute={recompute!r}")
    num_layers = non_negative_int("recompute_num_layers", num_layers)
    if num_layers > config.num_layers:
        raise ChiplabInputError(f"recompute_num_layers ({num_layers}) exceeds the {config.num_layers} layers of "
                                f"{config.name!r} (per pipeline stage)")
    return num_layers
