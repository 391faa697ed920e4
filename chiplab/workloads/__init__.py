"""Workloads. ``Gemm`` is the atom: C[m, n] = A[m, k] @ B[k, n]; everything else maps onto GEMMs."""

from chiplab.workloads.conv import Conv2d
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm

__all__ = ["DTYPE_BYTES", "Conv2d", "Gemm"]
