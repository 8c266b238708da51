"""emlab.plots._criteria: information_criteria."""

import numpy as np
import pytest

from emlab import plots


def test_information_criteria_marks_each_minimum():
    ks = [1, 2, 3, 4]
    art = plots.information_criteria(ks, bic=[10.0, 7.0, 8.0, 9.0], aic=[9.0, 6.0, 5.5, 5.8])
    assert art.best == {"BIC": 2, "AIC": 3}
    np.testing.assert_array_equal(art.minima["AIC"].get_xydata(), [[3, 5.5]])
    assert [t.get_text() for t in art.legend.get_texts()] == ["BIC", "min BIC: $K = 2$", "AIC", "min AIC: $K = 3$"]
    assert art.ax.get_xlabel() == "number of components $K$"
    with pytest.raises(ValueError, match="one value per K"):
        plots.information_criteria(ks, bic=[1.0, 2.0])
