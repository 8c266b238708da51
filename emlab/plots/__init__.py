"""Every figure of the course: one function per figure; each takes ``ax=`` and returns what it drew.

The implementation modules are private, one per figure family (``_density``: 1-D mixtures and the
likelihood surface; ``_jensen``; ``_bounds``: the EM bound and ELBO/KL; ``_scatter``: 2-D points and
ellipses; ``_panels``: Bishop's Fig. 9.8; ``_trace``; ``_criteria``; ``_stepper``: the live EM stepper,
its animation and static fallback; ``_hard_limit``: k-means as the sigma -> 0 limit; ``_images``: Bernoulli
prototypes and samples; ``_missing``: imputation with its uncertainty and the MLE-vs-MAP
failure rate; ``_rate``: how fast EM is). What they share is in ``_common``. The course's example figures are
built in :mod:`emlab.gallery`.
"""

from ..params import mixture_arrays
from ._bounds import elbo_kl, em_bound
from ._criteria import information_criteria
from ._density import loglik_surface, mixture_1d
from ._hard_limit import soft_to_hard
from ._images import image_grid
from ._jensen import jensen, jensen_static, jensen_widget
from ._missing import failure_rate, imputation_2d
from ._panels import em_panels
from ._rate import convergence_gaps, rate_vs_separation, stream_scores
from ._scatter import ellipses, gmm_2d
from ._stepper import em_animation, em_static, em_stepper
from ._trace import loglik_trace

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
    "imputation_2d",
    "failure_rate",
    "rate_vs_separation",
    "convergence_gaps",
    "stream_scores",
]
