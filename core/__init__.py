"""unlearning-explorer numeric core: data, models, Numba kernels, training, KKT
certificates, one-step gradient-ascent unlearning and method comparison.

No Streamlit here (DESIGN.md section 5).
"""
from core.errors import InputError

__all__ = ["InputError"]
