"""Benchmark session setup, before numpy loads OpenBLAS.

Idle OpenBLAS worker threads spin for about 2^28 cycles after each multithreaded call;
in an interleaved benchmark they steal the cores of whichever case runs next (measured:
a pyrbm sweep 1.6x slower right after a NumPy GEMM). A short spin, the same for every
case, keeps the comparison fair. A value set by the user wins.
"""

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
