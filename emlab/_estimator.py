"""What every emlab estimator shares with scikit-learn's: parameters, repr, fitted checks, input validation.

scikit-learn is not needed: it is imported only when it is already loaded, so that errors and warnings
raised here are also instances of scikit-learn's ``NotFittedError`` and ``ConvergenceWarning``.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np

from .params import SIMPLEX_TOL

__all__ = ["ConvergenceWarning", "NotFittedError", "EstimatorProtocol"]


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted model is called before ``fit``.

    Like scikit-learn's ``NotFittedError`` it is both a ``ValueError`` and an
    ``AttributeError``; when scikit-learn is loaded the raised error is also an
    instance of scikit-learn's class.
    """


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the lower bound changed by less than ``tol``."""


_sklearn_twins: dict = {}


def _with_sklearn_twin(cls, name: str):
    """``cls``, or a subclass that is also ``sklearn.exceptions.<name>`` when scikit-learn is loaded.

    Importing scikit-learn here would make it a runtime dependency (and cost a
    second of import time), so only an already-imported scikit-learn is used.
    """
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return cls
    twin = _sklearn_twins.get(name)
    if twin is None:
        twin = type(name, (cls, getattr(sk, name)), {"__module__": cls.__module__, "__doc__": cls.__doc__})
        _sklearn_twins[name] = twin
    return twin



class EstimatorProtocol:
    """scikit-learn's estimator protocol (``get_params``, ``set_params``, cloning, tags), the fitted-attribute
    checks, and the validation of X and of the ``weights_init``/``means_init`` arrays at the door."""

    # -- scikit-learn estimator protocol -------------------------------------------------------

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Accepted for scikit-learn compatibility (there are no sub-estimators).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Returns
        -------
        self : estimator instance
        """
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {valid!r}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        shown = []
        for name in defaults:
            value = getattr(self, name)
            default = defaults[name]
            same = value is default or (
                not isinstance(value, np.ndarray) and type(value) is type(default) and value == default
            )
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            input_tags=InputTags(),
        )

    # -- validation ------------------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        # ``converged_`` is set last in fit, so a callback running mid-fit still sees "not fitted".
        return "converged_" in self.__dict__

    def _check_is_fitted(self):
        if not self.__sklearn_is_fitted__():
            err = _with_sklearn_twin(NotFittedError, "NotFittedError")
            raise err(
                f"This {type(self).__name__} instance is not fitted yet. "
                "Call 'fit' with appropriate arguments before using this method."
            )

    def __getattr__(self, name):
        # Only reached when normal lookup fails. A fitted attribute (public, trailing underscore:
        # history_, weights_, ...) read before fit gets the same NotFittedError as params_ and the
        # methods, instead of a bare "no attribute" error. NotFittedError is an AttributeError, so
        # hasattr() and scikit-learn's checks still see the attribute as missing.
        if name.endswith("_") and not name.startswith("_") and not self.__sklearn_is_fitted__():
            err = _with_sklearn_twin(NotFittedError, "NotFittedError")
            raise err(
                f"This {type(self).__name__} instance is not fitted yet, so it has no {name!r}. "
                "Call 'fit' with appropriate arguments before using this attribute."
            )
        if name == "history_" and "_online" in self.__dict__:
            raise AttributeError(
                "history_ is recorded by fit; after partial_fit, lower_bounds_ holds each batch's per-sample "
                "score under the parameters before its update."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _validate_data(self, X, *, reset: bool, method: str) -> np.ndarray:
        """X as a finite float64 array of shape (m, n); checks n against fit when ``reset`` is False."""
        name = type(self).__name__
        if "scipy.sparse" in sys.modules and sys.modules["scipy.sparse"].issparse(X):
            raise ValueError(
                f"Sparse data was passed to {name}.{method}, but dense data is required. Convert it with X.toarray()."
            )
        arr = np.asarray(X)
        if np.iscomplexobj(arr):
            raise ValueError(f"Complex data not supported: {name}.{method} needs real numbers. Pass X.real.")
        arr = np.asarray(arr, dtype=np.float64)  # object arrays of non-numbers raise numpy's TypeError
        if arr.ndim < 2:
            raise ValueError(
                f"Expected 2D array, got {arr.ndim}D array instead: {name}.{method} needs X of shape "
                "(n_samples, n_features). Reshape your data either using X.reshape(-1, 1) if your data "
                "has a single feature or X.reshape(1, -1) if it contains a single sample."
            )
        if arr.ndim > 2:
            raise ValueError(
                f"Found array with dim {arr.ndim}: {name}.{method} expects X of shape (n_samples, n_features)."
            )
        m, n = arr.shape
        if m == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required "
                f"by {name}.{method}. Pass at least one data point."
            )
        if n == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required "
                f"by {name}.{method}."
            )
        finite = np.isfinite(arr)
        if not finite.all():
            i, j = np.argwhere(~finite)[0]
            raise ValueError(
                f"Input X contains NaN or inf (first at row {i}, column {j}); {name}.{method} needs "
                "finite values. Remove or impute those entries first."
            )
        if reset:
            self.n_features_in_ = n
        elif n != self.n_features_in_:
            raise ValueError(
                f"X has {n} features, but {name} is expecting {self.n_features_in_} features as input. "
                "Pass X with the same columns as the data the model was fitted on (or refit)."
            )
        return arr

    def _check_weights_means_init(self, X):
        """Validated ``weights_init`` (on the simplex) and ``means_init`` (k, n), each None when not given."""
        k, n = self.n_components, X.shape[1]
        weights = means = None
        if self.weights_init is not None:
            weights = self._init_array(self.weights_init, "weights_init", (k,), "(n_components,)")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError(
                    f"weights_init must lie in [0, 1] (they are probabilities); got min {weights.min():.5g}, "
                    f"max {weights.max():.5g}."
                )
            if abs(weights.sum() - 1.0) > SIMPLEX_TOL:
                raise ValueError(
                    f"weights_init must sum to 1 (a distribution over the components); got sum "
                    f"{weights.sum():.10g}. Divide it by its sum."
                )
        if self.means_init is not None:
            means = self._init_array(self.means_init, "means_init", (k, n), "(n_components, n_features)")
        return weights, means

    @staticmethod
    def _init_array(value, name, shape, words):
        arr = np.asarray(value)
        if np.iscomplexobj(arr):
            raise ValueError(f"{name} must be real; got complex values.")
        arr = np.array(arr, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(
                f"{name} must have shape {words} = {shape}; got shape {arr.shape}. "
                "Check n_components and the number of features of X."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf; pass finite values.")
        return arr

