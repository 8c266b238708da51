"""Exercise checkers: run a student's function against the reference and say, in words, what is wrong.

Every ``check_*`` function takes the student's function itself (not its result), calls it on several
prepared cases -- n = 1, 2 and 3 features and k = 2 and 3 components varied independently, k = 1, a
mixing weight of 1e-12 and one of exactly 0, points 1000 standard deviations from every component, a
far point whose posterior is not one-hot, responsibilities with exact zeros -- and returns a
:class:`CheckResult`. When the answer is wrong, the checker compares it with the usual mistakes (rows
that do not sum to 1, underflow in linear space, Sigma centred on the old mean, a missing division by
N_j, a sum over the wrong axis, a mean instead of a total, a missing ``keepdims``, ...) and names the one
it recognises.

A checker never raises: a stub that raises ``NotImplementedError`` gets "Not implemented yet", any
other exception is reported by name. It also reports a function that changes its inputs in place, that
does not return within a generous time limit (on platforms with ``SIGALRM``), or that raises warnings
even though its values are right. Messages contain no memory addresses, and a message that quotes the
student's number and the right one prints them with enough digits to differ, and their difference.

==========================  =========  ===============================================================
checker                     notebook   the student's function
==========================  =========  ===============================================================
check_jensen_gap            02         ``jensen_gap(f, x, p) -> E_p[f(x)] - f(E_p[x])`` (p may have zeros)
check_log_jensen_gap        02         ``fn(x, p) -> ln E[x] - E[ln x]`` (x > 0)
check_e_step                03, 06     ``fn(X, params) -> W`` of shape (m, k)
check_log_likelihood        03, 07     ``fn(X, params) -> l(Theta)``, a total over the points
check_elbo                  04         ``fn(X, W, params) -> L(q, Theta)``, a total
check_kl_divergence         04         ``fn(q, p) -> KL(q || p)``, summed over every entry
check_m_step                05         ``fn(X, W) -> GMMParams`` or ``(phi, mu, Sigma)``, no reg_covar
check_phi_update            05         ``fn(W) -> phi`` of shape (k,)
check_loop_m_step           06         ``fn(X, W, old_params) -> GMMParams`` or ``(phi, mu, Sigma)``
check_bic                   07         ``fn(X, params) -> -2 l + p ln m``, p = (k-1) + k n + k n(n+1)/2
check_bernoulli_e_step      08         ``fn(X, phi, mu) -> W`` of shape (m, k), binary X, mu (k, n)
check_bernoulli_m_step      08         ``fn(X, W, alpha) -> (phi, mu)``, mu = (S + alpha) / (N + 2 alpha)
check_conditional_gaussian  09         ``fn(x, observed, mu, Sigma) -> (mean, cov)`` of the missing coordinates
check_map_sigma_update      09         ``fn(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam) -> Sigma`` (K, n, n)
check_rate_from_trace       10         ``fn(trace) -> lambda``, EM's linear rate from l(Theta^(0..T))
check_squarem_step          10         ``fn(theta, M, log_lik) -> theta_new``, SQUAREM (S3) + safeguard
==========================  =========  ===============================================================

``X`` is (m,) for 1-D data or (m, n); ``params`` is a :class:`~emlab.params.GMMParams`. For 1-D
data an M-step may return ``mu`` of shape (k,) and ``Sigma`` as (k,) variances.

The package: ``_harness`` (calling the student's function, comparing, :class:`CheckResult`, the
messages), ``_cases`` (the mixture problems and the usual mistakes in ln phi_j N_j), and one module per
notebook (``jensen``, ``em_algorithm``, ``elbo_kl``, ``gmm_derivations``, ``gmm_in_practice``,
``model_choice``, ``beyond_gaussians``, ``missing_map``, ``em_speed``). A new checker is a list of cases and a
``compare(case, out)`` that lists the mistakes it diagnoses.

Examples
--------
>>> from emlab import exercises
>>> def e_step(X, params):
...     raise NotImplementedError
>>> result = exercises.check_e_step(e_step)
>>> result.passed
False
>>> result.message.startswith("Not implemented yet")
True
"""

from ._harness import CheckResult
from .beyond_gaussians import check_bernoulli_e_step, check_bernoulli_m_step
from .elbo_kl import check_elbo, check_kl_divergence
from .em_algorithm import check_e_step, check_log_likelihood
from .em_speed import check_rate_from_trace, check_squarem_step
from .gmm_derivations import check_m_step, check_phi_update
from .gmm_in_practice import check_loop_m_step
from .jensen import check_jensen_gap, check_log_jensen_gap
from .missing_map import check_conditional_gaussian, check_map_sigma_update
from .model_choice import check_bic

__all__ = [
    "CheckResult",
    "check_jensen_gap",
    "check_log_jensen_gap",
    "check_log_likelihood",
    "check_e_step",
    "check_elbo",
    "check_kl_divergence",
    "check_m_step",
    "check_loop_m_step",
    "check_phi_update",
    "check_bic",
    "check_bernoulli_e_step",
    "check_bernoulli_m_step",
    "check_conditional_gaussian",
    "check_map_sigma_update",
    "check_rate_from_trace",
    "check_squarem_step",
]
