"""emlab/history.py: one record of an EM run, shared by run_em and every estimator's history_."""

import numpy as np

from emlab import GaussianMixture, GMMParams, datasets, run_em
from emlab.bernoulli import BernoulliMixture
from emlab.history import HISTORY_KEYS, EMHistory, HistoryRecorder


def test_recorder_completes_each_iteration_when_l_is_known():
    rec = HistoryRecorder(start="Theta0")
    rec.m_step_done(-10.0, -8.0, "Theta1")
    record = rec.likelihood_known(-7.5)
    assert record == {"log_likelihood": -7.5, "elbo_after_e": -10.0, "elbo_after_m": -8.0, "kl_after_m": 0.5}
    rec.m_step_done(-7.5, -7.0 + 1e-13, "Theta2")  # an ELBO above l by round-off is clipped: KL >= 0
    rec.likelihood_known(-7.0)
    h = rec.result()
    assert isinstance(h, EMHistory) and set(h) == {*HISTORY_KEYS, "params"}
    np.testing.assert_array_equal(h.trace, [-10.0, -7.5, -7.0])
    assert h.n_iter == 2 and h["params"] == ["Theta0", "Theta1", "Theta2"] and h["kl_after_m"][-1] == 0.0
    assert "params" not in HistoryRecorder().result()


def test_every_loop_records_the_same_schema():
    x, _ = datasets.two_gaussians_1d(seed=0)
    _, h_core = run_em(x, GMMParams(phi=[0.5, 0.5], mu=[4.0, 6.0], Sigma=[9.0, 9.0]))
    h_gm = GaussianMixture(2, random_state=0).fit(x.reshape(-1, 1)).history_
    X = (np.random.default_rng(0).uniform(size=(50, 6)) < 0.4).astype(int)
    h_bern = BernoulliMixture(2, random_state=0).fit(X).history_
    for h in (h_core, h_gm, h_bern):
        assert isinstance(h, EMHistory) and set(HISTORY_KEYS) <= set(h)
        assert len({len(h[key]) for key in HISTORY_KEYS}) == 1
        np.testing.assert_allclose(h["log_likelihood"] - h["kl_after_m"], h["elbo_after_m"])
        assert np.all(h["kl_after_m"] >= 0) and np.all(np.diff(h.trace) >= -1e-9 * np.abs(h.trace[1:]))
