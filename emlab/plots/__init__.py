"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew."""

from .density import loglik_surface, mixture_1d
from .gmm2d import ellipses, em_panels, gmm_2d, information_criteria, loglik_trace, mixture_arrays
from .jensen import jensen, jensen_static, jensen_widget

__all__ = [
    "loglik_surface",
    "mixture_1d",
    "jensen",
    "jensen_static",
    "jensen_widget",
    "ellipses",
    "em_panels",
    "gmm_2d",
    "information_criteria",
    "loglik_trace",
    "mixture_arrays",
]
