"""``--family-param`` values past what training can hold (hostile trial 5, F6).

``studentt df=1e300`` made float32 training's loss inf ((df + 1) / 2 past float32's range:
"L-BFGS diverged at iteration 0"); ``normal-fixed scale=1e300`` gave "internal error
OverflowError" (1 / scale^2 in the curvature), ``scale=1e-300`` "L-BFGS diverged". Each is
now bad usage in one line naming the accepted range; the largest accepted df fits as the
normal law does (oracle: the least-squares line of the same rows, the normal's MLE mean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from probnn import MLPRegressor
from probnn.cli import main


@pytest.mark.parametrize("family, param, range_words", [
    ("studentt", "df=1e300", "at most 1.7e+38"),
    ("normal-fixed", "scale=1e300", "in [1.5e-154, 1.3e+154]"),
    ("normal-fixed", "scale=1e-300", "in [1.5e-154, 1.3e+154]"),
])
def test_out_of_range_family_param_is_bad_usage(tmp_path, capsys, monkeypatch, family, param,
                                                range_words):
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=40)}).to_csv(tmp_path / "t.csv",
                                                                    index=False)
    monkeypatch.chdir(tmp_path)
    code = main(["fit", "t.csv", "--target", "y", "--family", family, "--family-param", param,
                 "--hidden", "none", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and range_words in err[0] and "internal error" not in err[0]


def test_largest_df_fits_the_normal_law():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 1))
    y = 1.5 * X[:, 0] + rng.normal(size=200)
    model = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", family="studentt",
                         family_params={"df": 1.7e38}, alpha=1e-8, random_state=0).fit(X, y)
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    expected = intercept + slope * X[:, 0]
    # float32 training (the limit's reason), stopped by L-BFGS's tolerance: the normal family
    # itself ends 1.3e-3 from the least-squares line on these rows
    assert np.allclose(np.asarray(model.predict_dist(X).loc), expected, atol=1e-2)


def test_student_t_normaliser_at_huge_df_is_the_normals_without_warning():
    """The Student-t law itself takes any df: at 1e300 its normaliser is the normal's,
    -log(2 pi) / 2, with no numpy overflow warning on the way (df^2 past float max)."""
    import warnings

    from probnn._math import student_t_log_norm

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = float(student_t_log_norm(1e300))
    assert value == pytest.approx(-0.5 * np.log(2 * np.pi), rel=1e-15)
