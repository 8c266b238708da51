"""emlab: the companion package of the EM course.

The functional core (``e_step``, ``m_step``, ``log_likelihood``, ``elbo``,
``kl_divergence``) follows the notebooks' derivations line by line.
"""

# Submodules used as namespaces in the notebooks: `from emlab import plots, style, datasets`.
from . import datasets, exercises, plots, style
from .core import (
    as_data,
    e_step,
    elbo,
    kl_divergence,
    log_joint,
    log_likelihood,
    log_normal_pdf,
    m_step,
    run_em,
)
from .loop import loop_em_step
from .mixture import GaussianMixture
from .params import GMMParams

__all__ = [
    "datasets",
    "exercises",
    "plots",
    "style",
    "GMMParams",
    "GaussianMixture",
    "as_data",
    "e_step",
    "elbo",
    "kl_divergence",
    "log_joint",
    "log_likelihood",
    "log_normal_pdf",
    "loop_em_step",
    "m_step",
    "run_em",
]

__version__ = "0.1.0"
