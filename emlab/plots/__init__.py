"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew."""

from .density import loglik_surface, mixture_1d
from .gmm2d import ellipses, em_panels, gmm_2d, information_criteria, loglik_trace, mixture_arrays

__all__ = [
    "loglik_surface",
    "mixture_1d",
    "ellipses",
    "em_panels",
    "gmm_2d",
    "information_criteria",
    "loglik_trace",
    "mixture_arrays",
]
