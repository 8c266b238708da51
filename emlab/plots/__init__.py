"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew."""

from ._beyond import image_grid, soft_to_hard
from .bounds import elbo_kl, em_bound
from .density import loglik_surface, mixture_1d
from .gmm2d import ellipses, em_panels, gmm_2d, information_criteria, loglik_trace, mixture_arrays
from .jensen import jensen, jensen_static, jensen_widget
from .stepper import em_animation, em_static, em_stepper

__all__ = [
    "em_bound",
    "elbo_kl",
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
    "em_stepper",
    "em_animation",
    "em_static",
    "soft_to_hard",
    "image_grid",
]
