"""Nothing stale is reused, the same inputs give the same files, concurrent or crashed processes lose nothing."""

import fcntl
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from helpers import sample_copy
from kagglekit.comparison import compare_table
from kagglekit.ensembles import ensemble
from kagglekit.core.errors import UserError
from kagglekit.core.paths import ROOT
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)
TINY = ["data=sample", "model.params.pretrained=none", "model.params.epochs=2", "model.params.batch_size=16",
        "model.params.arch=test_efficientnet", "image.size=32", "folds=3", "cv.only_folds=[0]"]


def test_changed_images_make_a_new_run(workdir):
    first = train("leaves", "efficientnet_lite0", TINY, **QUIET)
    folder = workdir / "data/samples/leaves"
    from PIL import Image

    for path in (folder / "images").glob("*.jpg"):  # every picture replaced by a black square
        Image.new("RGB", (64, 64)).save(path)
    again = train("leaves", "efficientnet_lite0", TINY, **QUIET)
    assert again.run_dir != first.run_dir and again.record["data_fingerprint"] != first.record["data_fingerprint"]


def test_folds_made_by_other_code_are_not_mixed_in(workdir, monkeypatch):
    import kagglekit.core.cv as cv

    part = train("house-prices", "lasso", ["data=sample", "cv.only_folds=[0,1]"], **QUIET)
    monkeypatch.setattr(cv, "code_version", lambda: {"commit": "feedbeef00", "source": "0123456789ab"})
    with pytest.raises(UserError, match=r"fold_0.json was made by source \w+.*but this is source 0123456789ab.*force_resume=true"):
        train("house-prices", "lasso", ["data=sample"], **QUIET)
    forced = train("house-prices", "lasso", ["data=sample", "force_resume=true"], **QUIET)
    assert forced.run_dir == part.run_dir and forced.record["n_folds"] == 5


def test_a_finished_run_made_by_other_code_is_reused_whole_with_a_line_saying_so(workdir, monkeypatch):
    import kagglekit.core.cv as cv

    first = train("house-prices", "lasso", ["data=sample"], **QUIET)
    monkeypatch.setattr(cv, "code_version", lambda: {"commit": "feedbeef00", "source": "0123456789ab"})
    lines = []
    again = train("house-prices", "lasso", ["data=sample"], progress=False, log=lines.append)
    assert again.run_dir == first.run_dir and again.record["fold_scores"] == first.record["fold_scores"]
    assert any("reused whole" in line and "0123456789ab" in line for line in lines), lines


def test_stray_text_in_a_numeric_column_is_named_and_read_as_missing(workdir):
    folder = sample_copy("house-prices", workdir / "copy")
    frame = pd.read_csv(folder / "train.csv")
    frame["LotArea"] = frame["LotArea"].astype(object)
    frame.loc[[4, 9], "LotArea"] = "unknown"
    frame.to_csv(folder / "train.csv", index=False)
    said = []
    res = train("house-prices", "lasso", [f"data_dir={folder}"], progress=False, log=said.append)
    warning = [s for s in said if s.startswith("warning: column 'LotArea'")]
    assert warning and "['unknown']" in warning[0] and "stays numeric" in warning[0]
    assert res.record["cv_mean"] < 0.2


def test_same_run_twice_in_an_ensemble_is_refused(workdir):
    a = train("house-prices", "lasso", ["data=sample"], **QUIET)
    with pytest.raises(UserError, match="named twice"):
        ensemble("house-prices", run_ids=[a.record["run_id"], a.record["run_id"][:6]], log=lambda *x: None)


def test_a_second_process_on_the_same_run_says_who_holds_it(workdir):
    res = train("house-prices", "lasso", ["data=sample", "cv.only_folds=[0]"], **QUIET)
    with open(res.run_dir / ".lock", "a+") as f:  # another holder (flock is per open file)
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("process 4242 since today")
        f.flush()
        with pytest.raises(UserError, match="is in use by process 4242"):
            train("house-prices", "lasso", ["data=sample"], **QUIET)
    (res.run_dir / ".oof.csv.tmp999").write_text("half a file from a killed process")
    assert train("house-prices", "lasso", ["data=sample"], **QUIET).record["n_folds"] == 5
    assert not list(res.run_dir.glob(".*.tmp*"))  # stale temporaries are removed


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    import errno

    import kagglekit.core.io as io_module

    path = tmp_path / "oof.csv"
    io_module.atomic_write_text(path, "old\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io_module.os, "fsync", full)
    with pytest.raises(UserError, match=r"cannot write .*oof.csv: No space left"):
        io_module.atomic_write_text(path, "new and longer\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["oof.csv"]


def test_unreadable_record_does_not_block_compare_or_ensemble(workdir, capsys):
    a = train("house-prices", "lasso", ["data=sample"], **QUIET)
    b = train("house-prices", "ridge", ["data=sample"], **QUIET)
    train("house-prices", "svr", ["data=sample"], **QUIET).run_dir.joinpath("record.json").write_text("{broken")
    assert len(compare_table("house-prices")) == 2
    assert "skipping unreadable run record" in capsys.readouterr().err
    out = ensemble("house-prices", top=3, method="mean", log=lambda *x: None)
    assert set(out.record["members"]) == {a.record["run_id"], b.record["run_id"]}


@pytest.mark.parametrize("arch", ["test_efficientnet"])
def test_image_runs_repeat_exactly_and_a_resumed_fold_equals_an_uninterrupted_one(arch, workdir, monkeypatch, tmp_path):
    import kagglekit.images.finetune as ft

    args = ["data=sample", "model.params.pretrained=none", "model.params.epochs=3", "model.params.batch_size=16",
            f"model.params.arch={arch}", "image.size=32", "folds=3", "cv.only_folds=[0]",
            "augment.train=[{HorizontalFlip: {p: 0.5}}, {Affine: {rotate: [-20, 20], p: 0.7}}]", "augment.mixup_alpha=0.4",
            "speed.threads=1"]  # the default takes 1 or 2 by the other test worker's load; two counts sum differently

    def fold0(base):
        monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(base))
        res = train("leaves", "efficientnet_lite0", args, **QUIET)
        with np.load(res.run_dir / "fold_0.npz") as z:
            return z["valid_pred"], z["test_pred"]

    first, second = fold0(tmp_path / "a"), fold0(tmp_path / "b")
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    real, calls = ft.predict, {"n": 0}

    def dying(*a, **kw):  # the validation after epoch 2 "crashes": the run resumes from epoch 2's checkpoint
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(ft, "predict", dying)
    monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(tmp_path / "c"))
    with pytest.raises(KeyboardInterrupt):
        train("leaves", "efficientnet_lite0", args, **QUIET)
    monkeypatch.setattr(ft, "predict", real)
    resumed = fold0(tmp_path / "c")
    np.testing.assert_allclose(resumed[0], first[0], atol=1e-6)
    np.testing.assert_allclose(resumed[1], first[1], atol=1e-6)


def test_install_stamp_ignores_file_times(tmp_path, monkeypatch):
    import os

    for var in [v for v in os.environ if v.startswith("MAKE")]:  # run as a user would, not as make's child
        monkeypatch.delenv(var)
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "requirements.txt", tmp_path)
    out = subprocess.run(["make", "-n", "setup"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "pip install" in out  # no venv yet: it would install
    stamp = next(line for line in out.splitlines() if line.startswith("touch ")).split(" ", 1)[1].strip()
    (tmp_path / stamp).parent.mkdir(parents=True)
    (tmp_path / stamp).touch()
    (tmp_path / "requirements.txt").touch()  # a fresh clone: newer file times, same content
    out = subprocess.run(["make", "-n", "setup"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "pip install" not in out
    (tmp_path / "requirements.txt").write_text((ROOT / "requirements.txt").read_text() + "six==1.16.0\n")
    out = subprocess.run(["make", "-n", "setup"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "pip install" in out  # other content: reinstall


def test_a_tuning_trial_waits_for_a_twin_run_and_reuses_its_folds(workdir):
    import threading

    res = train("house-prices", "lasso", ["data=sample", "cv.only_folds=[0]"], **QUIET)
    f = open(res.run_dir / ".lock", "a+")
    fcntl.flock(f, fcntl.LOCK_EX)
    threading.Timer(1.5, lambda: (fcntl.flock(f, fcntl.LOCK_UN), f.close())).start()  # the twin finishes
    out = train("house-prices", "lasso", ["data=sample"], wait_for_run=True, **QUIET)  # waits instead of failing
    assert out.record["n_folds"] == 5 and out.run_dir == res.run_dir


def test_a_dead_worker_under_a_users_script_names_the_main_guard(monkeypatch, tmp_path):
    """Spawned fold workers start by importing the script that runs; one that calls kagglekit at its top level runs
    again in each and dies. The message names the script and the guard; under `python -m` it stays as it was."""
    import sys
    from types import SimpleNamespace

    from kagglekit.core.executors import worker_died

    monkeypatch.setitem(sys.modules, "__main__", SimpleNamespace(__file__=str(tmp_path / "fit.py"), __spec__=None))
    assert "If fit.py calls kagglekit at its top level" in worker_died("a fold's worker process died.")
    monkeypatch.setitem(sys.modules, "__main__", SimpleNamespace(__file__=str(tmp_path / "fit.py"), __spec__="module"))
    assert worker_died("a fold's worker process died.") == "a fold's worker process died."
