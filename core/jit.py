"""The one set of Numba options every kernel module uses (docs/architecture.md).

Write kernels as::

    from core.jit import kernel

    @kernel
    def my_kernel(X, out):
        ...

``kernel`` is ``numba.njit(cache=True, nogil=True)``:

* ``cache=True``: compiled machine code is stored next to the sources (or in
  ``NUMBA_CACHE_DIR``), so a restart loads instead of recompiling.
* ``nogil=True``: a running kernel releases the GIL, so threads (the app's background
  jobs, the sweep executors) run kernels in parallel.

Keep one option set and one ``def`` per kernel: a second decorator with other options on the
same function, or a second ``def`` of the same name in another module, makes Numba compile
(and cache under the same key) a second copy. Pass contiguous float64 (and int64) arrays, so
that each kernel compiles exactly one signature; tests check ``fn.signatures``.

The cache is keyed on the source of the module that defines a kernel (a content hash) and
nothing else. A kernel that calls a kernel of another module, or builds a NamedTuple defined
elsewhere, embeds that code in its own cache entry, and keeps the stale copy after the other
module changes. Keep kernels that call each other in one module; where a module must import
another's kernels (as core/method_kernels.py imports core/kernels.py), clear
``NUMBA_CACHE_DIR`` (or edit the importing module) after changing the imported one.
"""
from numba import njit

kernel = njit(cache=True, nogil=True)
