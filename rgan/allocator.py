"""Host memory allocator settings that keep XLA:CPU training steps free of page faults.

XLA:CPU allocates each step's temporary buffer (tens of MiB for these models) with
malloc and frees it at the end of the step. glibc serves blocks above its mmap threshold
with a fresh `mmap` and returns them on free, so every step pays for zero-filling new
pages: on a 2-core CPU ~1,300 page faults per RGAN step, about 7% of its time. Raising
the mmap threshold to its maximum and keeping freed memory (trim threshold, top pad)
lets the buffer be reused from step to step.

This changes how memory is allocated, not what is computed. It applies only to glibc
(Linux) and leaves alone any setting made with the MALLOC_* environment variables.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt parameter numbers from glibc's malloc.h.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": (_M_MMAP_THRESHOLD, 32 << 20),  # glibc's maximum on 64-bit
    "MALLOC_TRIM_THRESHOLD_": (_M_TRIM_THRESHOLD, 1 << 30),
    "MALLOC_TOP_PAD_": (_M_TOP_PAD, 256 << 20),
}
_done = False


def keep_freed_memory() -> bool:
    """Applies the settings once per process; returns whether glibc accepted them."""
    global _done
    if _done:
        return True
    name = ctypes.util.find_library("c")
    if not name or "libc.so" not in name:
        return False  # not glibc (macOS, musl): nothing to do
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    ok = True
    for variable, (parameter, value) in _SETTINGS.items():
        if variable not in os.environ:
            ok &= bool(mallopt(parameter, value))
    _done = ok
    return ok
