"""emlab: the companion package of the EM course.

The functional core (``e_step``, ``m_step``, ``log_likelihood``, ``elbo``,
``kl_divergence``) follows the notebooks' derivations line by line.

Importing emlab loads only numpy and the parts of scipy the core needs. The
estimators, the plotting stack (matplotlib, seaborn), the data sets and the
exercise checkers load on first use (PEP 562), so ``from emlab import plots``
and ``emlab.GaussianMixture`` work as usual.
"""

import importlib

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
from .params import GMMParams

# Loaded on first access: name -> the submodule that defines it.
_LAZY_ATTRIBUTES = {
    "BernoulliMixture": "bernoulli",
    "GaussianMixture": "mixture",
    "loop_em_step": "loop",
}
_LAZY_SUBMODULES = (
    "base",
    "bernoulli",
    "bernoulli_core",
    "covariance",
    "datasets",
    "exercises",
    "gallery",
    "history",
    "loop",
    "missing",
    "mixture",
    "params",
    "plots",
    "prior",
    "rate",
    "style",
)

__all__ = [
    "datasets",
    "exercises",
    "plots",
    "style",
    "BernoulliMixture",
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


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        value = getattr(importlib.import_module(f".{_LAZY_ATTRIBUTES[name]}", __name__), name)
    elif name in _LAZY_SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'emlab' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES) | set(_LAZY_SUBMODULES))
