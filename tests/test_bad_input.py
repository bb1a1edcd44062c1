"""Every mistake a user can make gives one clear message (exit 2, no traceback) and loses no finished fold."""

import numpy as np
import pandas as pd
import pytest

from kagglekit.commands import main
from kagglekit.core.errors import UserError
from kagglekit.pipeline import train
from helpers import sample_copy


def _run(*args):
    return train("house-prices", "lasso", list(args), progress=False, log=lambda *a: None)


def test_missing_data_says_how_to_get_it(workdir):
    with pytest.raises(UserError, match=r"train.csv is missing.*make data comp=house-prices.*data_dir=PATH.*data=sample"):
        _run()


def test_cli_prints_one_line_and_exits_2(workdir, capsys):
    assert main(["train", "comp=house-prices", "model=lasso", f"data_dir={workdir}/nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "nowhere/train.csv" in err
    assert main(["train", "comp=nope"]) == 2
    assert "unknown competition 'nope'" in capsys.readouterr().err
    assert main(["train", "comp=house-prices", "model=catboostx"]) == 2
    assert "unknown model 'catboostx'" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d["train"].drop(columns=["SalePrice"]), r"train.csv: missing id/target column\(s\) \['SalePrice'\]"),
        (lambda d: d["train"].drop(columns=["Id"]), r"train.csv: missing id/target column\(s\) \['Id'\]"),
        (lambda d: d["train"].assign(SalePrice=["cheap"] * len(d["train"])), r"target 'SalePrice' must be numeric.*'cheap'"),
        (lambda d: d["train"].head(0), r"train.csv has a header but no rows"),
        (lambda d: d["train"].assign(SalePrice=None), r"train.csv: no row has a value for target 'SalePrice'"),
    ],
)
def test_bad_train_csv(workdir, damage, message):
    folder = sample_copy("house-prices", workdir / "bad")
    frames = {"train": pd.read_csv(folder / "train.csv")}
    damage(frames).to_csv(folder / "train.csv", index=False)
    with pytest.raises(UserError, match=message):
        _run(f"data_dir={folder}")


def test_rows_without_a_target_are_left_out_with_a_line(workdir):
    """As AutoGluon does: a training row with an empty target cell has nothing to learn from; the run trains and
    scores on the others, says how many it left out, and its OOF covers exactly the labelled rows."""
    folder = sample_copy("house-prices", workdir / "gaps")
    frame = pd.read_csv(folder / "train.csv")
    frame.loc[[0, 5, 9], "SalePrice"] = None
    frame.to_csv(folder / "train.csv", index=False)
    lines = []
    res = train("house-prices", "lasso", [f"data_dir={folder}"], progress=False, log=lines.append)
    assert any(f"3 of {len(frame)} rows have no 'SalePrice': trained and scored without them" in line for line in lines)
    oof_ids = pd.read_csv(res.run_dir / "oof.csv")["Id"]
    assert len(oof_ids) == len(frame) - 3 and not set(frame["Id"].iloc[[0, 5, 9]]) & set(oof_ids)
    constant = np.log(frame["SalePrice"].dropna()).std()  # RMSE of logs of predicting the mean
    assert res.record["cv_mean"] < 0.8 * constant, (res.record["cv_mean"], constant)


def test_empty_file(workdir):
    folder = sample_copy("house-prices", workdir / "bad")
    (folder / "test.csv").write_text("")
    with pytest.raises(UserError, match="test.csv is empty"):
        _run(f"data_dir={folder}")


def test_sample_submission_must_match_test(workdir):
    folder = sample_copy("house-prices", workdir / "bad")
    sub = pd.read_csv(folder / "sample_submission.csv")
    sub.iloc[::-1].to_csv(folder / "sample_submission.csv", index=False)
    with pytest.raises(UserError, match="sample_submission.csv disagrees with .*test.csv"):
        _run(f"data_dir={folder}")


def test_bad_config_file_names_the_file(workdir, tmp_path, monkeypatch):
    from kagglekit.tasks import load_config

    confdir = tmp_path / "configs"
    (confdir / "house-prices").mkdir(parents=True)
    (confdir / "defaults.yaml").write_text("cv:\n  folds: 3\n")
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(confdir))
    with pytest.raises(UserError, match=r"configs/defaults.yaml: unknown key 'cv.folds' for a tabular run"):
        load_config("house-prices", "lasso")
    (confdir / "defaults.yaml").write_text("cv: [unclosed\n")
    with pytest.raises(UserError, match=r"defaults.yaml: not valid YAML"):
        load_config("house-prices", "lasso")


def test_bad_fit_filter_and_feature_failure_keep_finished_folds(workdir):
    with pytest.raises(UserError, match="fit_filter 'NoSuchColumn > 3' cannot be evaluated"):
        _run("data=sample", "fit_filter='NoSuchColumn > 3'")
    res = _run("data=sample", "cv.only_folds=[0,1]")
    assert (res.run_dir / "fold_0.json").exists() and (res.run_dir / "fold_1.json").exists()
    # A crash in a later fold (here an impossible override at model build time) does not touch them.
    with pytest.raises(UserError):
        _run("data=sample", "model.params.alpha=abc")
    assert (res.run_dir / "fold_0.json").exists()


def test_download_fails_fast_without_credentials(workdir, monkeypatch, tmp_path):
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(UserError, match="needs Kaggle API credentials.*kaggle.json"):
        from kagglekit.core.competition import load_competition
        from kagglekit.kaggle.download import download

        download(load_competition("house-prices"), tmp_path / "dl")


def test_download_fails_fast_when_offline(workdir, monkeypatch, tmp_path):
    from kagglekit.core.competition import load_competition
    from kagglekit.kaggle.download import download

    from kagglekit.kaggle import client
    from helpers import closed_port

    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "not-a-key")
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "TEST")
    assert client.api_endpoint() == "http://localhost:7777"  # the variable moves the host our check calls
    port = closed_port()  # not 7777 itself: another worker's fake Kaggle may listen there
    monkeypatch.setattr(client, "api_endpoint", lambda: f"http://localhost:{port}")
    with pytest.raises(UserError, match="cannot reach localhost"):
        download(load_competition("house-prices"), tmp_path / "dl")
    assert not (tmp_path / "dl").exists()
