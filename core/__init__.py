"""unlearning-explorer numeric core: data, models, Numba kernels, training, KKT
certificates, one-step gradient-ascent unlearning and method comparison.

No Streamlit here (docs/architecture.md).
"""
from core.errors import InputError

__all__ = ["InputError"]
