"""The linear models choose their regularisation on the rows they are fitted on (``alpha: null``, the default), the
run records the choice, and fits on small tables give numpy's BLAS one thread (core/speed.py)."""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_info

from kagglekit.commands import main
from kagglekit.core.config import SpeedConfig
from kagglekit.core.speed import SMALL_BLAS_CELLS, blas_threads_for
from kagglekit.models import build_model
from kagglekit.models.linear_path import ALPHAS, ChosenLogistic, ChosenRidge
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)


def _linear_rows(n, p, informative, noise, seed, classes=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    signal = X[:, :informative] @ rng.normal(size=informative)
    if classes:
        return X, (signal + noise * rng.logistic(size=n) > 0).astype(int)
    return X, signal + noise * rng.normal(size=n)


def test_ridge_takes_a_weak_penalty_for_an_almost_exact_target_and_a_strong_one_for_mostly_noise():
    X, y = _linear_rows(400, 60, 60, 0.01, 0)  # every column counts, almost no noise: the least squares fit
    exact = ChosenRidge(alphas=ALPHAS).fit(X[:300], y[:300])
    X2, y2 = _linear_rows(400, 60, 2, 3.0, 1)  # two columns count, much noise: shrink the other 58
    noisy = ChosenRidge(alphas=ALPHAS).fit(X2[:300], y2[:300])
    assert exact.chosen_params_["alpha"] < 0.1 < 10 < noisy.chosen_params_["alpha"]
    for model, X_, y_ in ((exact, X, y), (noisy, X2, y2)):
        fixed = Ridge(alpha=1.0).fit(X_[:300], y_[:300])
        assert np.mean((model.predict(X_[300:]) - y_[300:]) ** 2) < np.mean((fixed.predict(X_[300:]) - y_[300:]) ** 2)


def test_ridge_on_a_wide_sparse_table_scores_its_path_on_inner_folds_and_chooses_as_leave_one_out_does():
    """Past GCV_SIDE rows and columns (texts as TF-IDF) the closed form is cubic: the path is walked on inner folds
    instead, and it lands where leave-one-out does, predicting unseen rows as well."""
    import scipy.sparse as sp

    from kagglekit.models.linear_path import GCV_SIDE

    rng = np.random.default_rng(11)
    n, p = GCV_SIDE + 300, GCV_SIDE + 100
    X = sp.random(n + 600, p, density=0.01, format="csr", random_state=11)
    y = X @ rng.normal(size=p) + 0.3 * rng.normal(size=n + 600)
    walked = ChosenRidge(alphas=ALPHAS).fit(X[:n], y[:n])
    assert walked.path_ and min(walked.path_, key=walked.path_.get) == f"{walked.alpha_:.3g}" and len(walked.path_) < 10
    loo = RidgeCV(alphas=ALPHAS).fit(X[:n], y[:n])
    assert abs(np.log10(walked.alpha_ / loo.alpha_)) <= 0.5, (walked.alpha_, loo.alpha_)
    unseen = [np.mean((m.predict(X[n:]) - y[n:]) ** 2) for m in (walked, loo)]
    assert unseen[0] <= 1.05 * unseen[1], unseen
    assert walked.predict(X[n:]).shape == (600,) and walked.chosen_params_ == {"alpha": walked.alpha_}
    assert ChosenRidge(alphas=ALPHAS).fit(X[:300], y[:300]).path_ is None  # a small side: the closed form


def test_logistic_regression_chooses_its_c_on_inner_folds_and_beats_c_1_on_unseen_rows():
    X, y = _linear_rows(1200, 80, 3, 1.0, 2, classes=True)  # 77 columns of noise and 240 rows to fit: shrink hard
    chosen = ChosenLogistic(random_state=0).fit(X[:240], y[:240])
    fixed = LogisticRegression(C=1.0, max_iter=5000).fit(X[:240], y[:240])
    assert chosen.chosen_params_["alpha"] > 1
    assert log_loss(y[240:], chosen.predict_proba(X[240:])) < log_loss(y[240:], fixed.predict_proba(X[240:])) - 0.02
    path = chosen.path_  # held-out log loss by alpha: the chosen is the least, and the weak end was not all walked
    assert min(path, key=path.get) == f"{chosen.alpha_:.3g}" and len(path) < 8
    assert set(np.unique(chosen.predict(X[240:]))) <= {0, 1} and chosen.predict_proba(X[:5]).shape == (5, 2)


def test_logistic_regression_on_sparse_text_of_many_classes_fits_by_newton_steps_to_the_same_model():
    """Sparse columns and more than two classes: the C path and the final fit take Newton-CG steps (a few, where L-BFGS
    takes a hundred that each pay for every class's coefficients), and reach the model L-BFGS reaches: the same C
    chosen, the same held-out losses along the path and the same probabilities, to the solvers' tolerance."""
    from scipy import sparse

    import kagglekit.models.linear_path as linear_path

    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, 400)
    counts = rng.poisson(0.05, (400, 1500)) + (rng.random((400, 1500)) < 0.03 * (np.arange(1500) % 6 == y[:, None]))
    X = sparse.csr_matrix(np.log1p(counts).astype(float))
    newton = ChosenLogistic(random_state=0).fit(X[:300], y[:300])
    assert newton.newton_ and newton.model_.solver == "newton-cg"
    dense = ChosenLogistic(random_state=0).fit(X[:300].toarray(), y[:300])
    assert not dense.newton_ and dense.model_.solver == "lbfgs"
    assert newton.alpha_ == dense.alpha_ and list(newton.path_) == list(dense.path_)
    assert np.allclose(list(newton.path_.values()), list(dense.path_.values()), atol=2e-3)
    assert np.abs(newton.predict_proba(X[300:]) - dense.predict_proba(X[300:].toarray())).max() < 0.02
    assert np.mean(newton.predict(X[300:]) == y[300:]) > 0.3  # chance: 1/6
    assert not linear_path.many_sparse_classes(X, 2)


@pytest.mark.parametrize("name", ["ridge", "lasso", "elasticnet"])
def test_each_linear_entry_without_an_alpha_chooses_one_and_a_given_alpha_is_kept(name):
    X, y = _linear_rows(300, 30, 3, 0.5, 5)
    chosen = build_model(name, {}, "regression", 0, SpeedConfig()).fit(X[:240], y[:240])
    assert chosen.chosen_params_["alpha"] > 0 and np.corrcoef(chosen.predict(X[240:]), y[240:])[0, 1] > 0.8
    X2, y2 = _linear_rows(300, 10, 3, 0.2, 7, classes=True)
    classes = build_model(name, {}, "binary", 0, SpeedConfig()).fit(X2[:240], y2[:240])
    assert classes.chosen_params_["C"] == 1 / classes.chosen_params_["alpha"]
    assert (classes.predict(X2[240:]) == y2[240:]).mean() > 0.7
    fixed = build_model(name, {"alpha": 0.5}, "regression", 0, SpeedConfig())
    assert fixed.alpha == 0.5 and not hasattr(fixed, "chosen_params_")


def test_string_classes_come_back_as_given():
    X, y = _linear_rows(300, 5, 3, 0.5, 3, classes=True)
    labels = np.array(["no", "yes"])[y]
    model = ChosenLogistic(random_state=0).fit(X, labels)
    assert list(model.classes_) == ["no", "yes"] and set(model.predict(X)) == {"no", "yes"}
    assert (model.predict(X) == labels).mean() > 0.7  # chance is about 0.5


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_a_small_tables_fit_gets_one_blas_thread_and_a_large_one_keeps_the_librarys_count():
    before = _blas_threads()
    with blas_threads_for(1000, 50):
        assert set(_blas_threads()) == {1}
    with blas_threads_for(SMALL_BLAS_CELLS, 2):  # above the bound: untouched
        assert _blas_threads() == before
    assert _blas_threads() == before


def _wide_noisy_case(folder, n=240, n_test=100):
    X, y = _linear_rows(n + n_test, 60, 3, 1.0, 4, classes=True)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame.insert(0, "id", np.arange(n + n_test))
    frame["label"] = y
    folder.mkdir(parents=True)
    frame.iloc[:n].to_csv(folder / "train.csv", index=False)
    frame.iloc[n:].drop(columns=["label"]).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": frame["id"].iloc[n:], "label": 0.5}).to_csv(folder / "sample_submission.csv", index=False)
    return folder


def test_the_ridge_member_chooses_its_penalty_in_each_fold_records_it_and_beats_the_old_fixed_one(workdir, tmp_path,
                                                                                                   monkeypatch):
    for name in ("competitions", "configs"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(tmp_path / "competitions"))
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    folder = _wide_noisy_case(workdir / "files")
    assert main(["new", "comp=wide", f"data_dir={folder}"]) == 0
    chosen = train("wide", "ridge", [f"data_dir={folder}"], **QUIET)
    fixed = train("wide", "ridge", [f"data_dir={folder}", "model.params.alpha=1.0"], **QUIET)
    folds = [yaml.safe_load((chosen.run_dir / f"fold_{k}.json").read_text()) for k in range(5)]
    assert all(f["chosen_params"]["alpha"] > 1 for f in folds)  # 57 of 60 columns are noise: shrink
    assert "chosen_params" not in yaml.safe_load((fixed.run_dir / "fold_0.json").read_text())
    better = 1 if chosen.record["greater_is_better"] else -1
    assert better * (chosen.cv_mean - fixed.cv_mean) > 0
