"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew."""

from .gmm2d import ellipses, em_panels, gmm_2d, information_criteria, loglik_trace, mixture_arrays

__all__ = [
    "ellipses",
    "em_panels",
    "gmm_2d",
    "information_criteria",
    "loglik_trace",
    "mixture_arrays",
]
