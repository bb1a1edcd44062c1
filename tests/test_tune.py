import optuna
import pytest

from kagglekit.tasks import load_config
from kagglekit.pipeline import train
from kagglekit.tuning import StudyJob, data_fingerprint, open_study, tune

QUIET = dict(log=lambda *a: None)
QUICK = ["data=sample", "folds=2"]  # where the number of folds is not what a test is about


def _study(comp="house-prices", model="lasso", overrides=("data=sample",)):
    return open_study(StudyJob(comp, model, fingerprint=data_fingerprint(comp, model, list(overrides))))[0]


def test_tuned_config_loads_and_trains(workdir, configs):
    out = tune("house-prices", "lasso", QUICK, trials=4, **QUIET)
    assert out["n_complete"] >= 1 and (configs / "house-prices/lasso-tuned.yaml").exists()
    run = load_config("house-prices", "lasso-tuned")
    for key, value in out["best_params"].items():
        node = run
        for part in key.split(".")[:-1]:
            node = getattr(node, part)
        got = node[key.split(".")[-1]] if isinstance(node, dict) else getattr(node, key.split(".")[-1])
        assert got == pytest.approx(value)
    res = train("house-prices", "lasso-tuned", QUICK, progress=False, log=lambda *a: None)
    assert res.record["cv_mean"] == pytest.approx(out["best_value"])  # the same CV as the best trial
    assert all(p.exists() for p in out["plots"])
    # A trial's run keeps its tables but draws no pictures (a second of a small run each); the tuned run draws them.
    trials = [p.parent for p in workdir.rglob("record.json") if p.parent != res.run_dir]
    assert trials and all((t / "feature_importance.csv").exists() for t in trials)
    assert not any(list(t.glob("*.png")) for t in trials) and sorted(p.name for p in res.run_dir.glob("*.png")) == \
        ["feature_importance.png", "oof_residuals.png"]


def test_study_resumes_after_interruption(workdir, configs, monkeypatch):
    from kagglekit.tuning import workers as train_mod

    calls = []

    original = train_mod.train

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the third trial
        return original(*a, **kw)

    monkeypatch.setattr(train_mod, "train", flaky)
    with pytest.raises(KeyboardInterrupt):
        tune("house-prices", "lasso", QUICK, trials=5, **QUIET)
    study = _study(overrides=QUICK)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 2  # finished trials survived the interruption
    monkeypatch.setattr(train_mod, "train", original)
    out = tune("house-prices", "lasso", QUICK, trials=5, **QUIET)
    study = _study(overrides=QUICK)
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 5 and [t.number for t in done] == [0, 1]
    assert out["n_complete"] + out["n_pruned"] == 5


def test_two_workers_share_one_study(workdir, configs):
    tune("house-prices", "lasso", QUICK, trials=6, workers=2, **QUIET)
    study = _study(overrides=QUICK)
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 6  # exactly the trials asked for, however the workers raced
    assert {t.user_attrs.get("worker") for t in finished} == {0, 1}  # both processes ran trials


def test_pruner_sees_running_mean_after_every_fold(workdir, configs):
    tune("house-prices", "lasso", ["data=sample"], trials=3, **QUIET)
    for t in _study().trials:
        if t.state.name == "COMPLETE":
            assert sorted(t.intermediate_values) == [1, 2, 3, 4, 5]


def test_a_continued_study_draws_new_points(workdir, configs):
    tune("house-prices", "lasso", QUICK, trials=2, **QUIET)
    tune("house-prices", "lasso", QUICK, trials=4, **QUIET)
    params = [t.params for t in _study(overrides=QUICK).trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(params) == 4 and params[2] != params[0] and params[3] != params[1]  # not the first call's draws again


def test_a_failing_worker_is_reported_with_its_message(workdir, configs):
    from kagglekit.core.errors import UserError

    with pytest.raises(UserError, match=r"tuning worker failed: worker \d: fit_filter 'NoSuchColumn > 3' cannot be evaluated"):
        tune("house-prices", "lasso", ["data=sample", "fit_filter='NoSuchColumn > 3'"], trials=2, workers=2, **QUIET)


def test_several_workers_are_watched_with_one_bar_of_finished_trials_and_the_best(capsys, monkeypatch):
    import optuna

    monkeypatch.delenv("TQDM_DISABLE", raising=False)  # conftest hides bars; this one is the subject

    from kagglekit.tuning import watch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize")
    for value in (0.3, 0.2):
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    polls = iter([True, True, False])  # the workers finish at the third look
    watch(study, trials=3, alive=lambda: next(polls), every=0.01, progress=True)
    err = capsys.readouterr().err
    assert "trials (all workers)" in err and "2/3" in err and "best=0.20000" in err
