"""Security and loss (audit #26): nothing read from a run or data folder runs code, URL secrets never reach a file or
the screen, image paths stay inside the data folder, a tuned config is never replaced by a worse or foreign study."""

import json
import os

import pandas as pd
import pytest
import torch

from kagglekit.commands import main
from kagglekit.tuning import PROVENANCE, read_provenance, tune
from kagglekit.core.competition import load_competition
from kagglekit.core.errors import UserError
from kagglekit.core.secrets import mask_secrets
from kagglekit.images.finetune import load_checkpoint, save_checkpoint
from kagglekit.pipeline import train
from kagglekit.tasks import get_task

QUIET = dict(progress=False, log=lambda *a: None)
TINY_IMAGES = ["data=sample", "model.params.pretrained=none", "model.params.arch=test_efficientnet", "image.size=32",
               "model.params.epochs=1", "model.params.batch_size=16", "folds=3"]


class _Payload:
    """Unpickling this runs ``os.mkdir(marker)``: what a hostile checkpoint would do with os.system."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_checkpoint_round_trips_and_a_hostile_one_runs_nothing(tmp_path):
    ckpt = tmp_path / "fold_0.ckpt"
    save_checkpoint(ckpt, {"model": {"w": torch.ones(2)}}, {"epoch": 2, "history": [{"epoch": 1, "valid_acc": 0.5}]})
    saved, state = load_checkpoint(ckpt, "cpu")
    assert state["epoch"] == 2 and torch.equal(saved["model"]["w"], torch.ones(2))
    assert not list(tmp_path.glob("*.tmp"))
    marker = tmp_path / "pwned"
    torch.save({"model": _Payload(marker)}, ckpt)
    with pytest.raises(UserError, match="fold_0.ckpt is not a checkpoint kagglekit can read safely.*delete it"):
        load_checkpoint(ckpt, "cpu")
    assert not marker.exists()
    ckpt.write_bytes(b"\x80\x02damaged")
    with pytest.raises(UserError, match="fold_0.ckpt is not a checkpoint"):
        load_checkpoint(ckpt, "cpu")


def test_a_hostile_checkpoint_in_a_run_folder_stops_the_run_without_running(workdir):
    first = train("leaves", "efficientnet_lite0", TINY_IMAGES + ["cv.only_folds=[0]"], **QUIET)
    marker = workdir / "pwned"
    torch.save({"model": _Payload(marker)}, first.run_dir / "fold_1.ckpt")
    with pytest.raises(UserError, match="fold_1.ckpt is not a checkpoint"):
        train("leaves", "efficientnet_lite0", TINY_IMAGES + ["cv.only_folds=[1]"], **QUIET)
    assert not marker.exists()
    assert (first.run_dir / "fold_0.npz").exists()  # finished work is kept


def test_url_secrets_are_masked():
    text = "tracker_uri=http://kk:S3cret@127.0.0.1:5000/x and postgresql://u:p%40ss@db/optuna?sslmode=require&password=hunter2"
    masked = mask_secrets(text)
    assert "S3cret" not in masked and "p%40ss" not in masked and "hunter2" not in masked
    assert "http://kk:***@127.0.0.1:5000/x" in masked and "sslmode=require" in masked
    assert mask_secrets("cv.group_key=abc model=lasso") == "cv.group_key=abc model=lasso"


def test_a_password_in_a_url_reaches_no_file_and_no_message(workdir, capsys):
    secret = "S3cretPW"
    uri = f"tracking.uri=postgresql://kk:{secret}@127.0.0.1:1/mlflow"
    plain = train("house-prices", "lasso", ["data=sample"], **QUIET)
    res = train("house-prices", "lasso", ["data=sample", uri], **QUIET)
    assert res.run_dir == plain.run_dir  # where a tracker lives is not part of the run id
    main(["compare", "comp=house-prices", "data=sample"])
    saved = [p for p in workdir.rglob("*") if p.is_file() and p.suffix in (".yaml", ".json", ".csv", ".log", ".md")]
    assert saved and not [p for p in saved if secret in p.read_text(errors="ignore")]
    assert "kk:***@127.0.0.1" in (res.run_dir / "config.yaml").read_text()
    code = main(["train", "comp=house-prices", "model=lasso", "data=sample", "tracker=mlflow",
                 f"tracker_uri=http://kk:{secret}@127.0.0.1:9/"])
    out = capsys.readouterr()
    assert code == 2 and "no MLflow server" in out.err and secret not in out.err + out.out


@pytest.mark.parametrize("bad", ["../../outside.jpg", "/etc/hostname", "images/../../x.jpg"])
def test_image_paths_outside_the_data_folder_are_refused(workdir, bad):
    spec = load_competition("leaves")
    folder = workdir / "data/samples/leaves"
    get_task("image").write_sample(spec, folder, seed=0)
    frame = pd.read_csv(folder / "train.csv")
    frame.loc[2, "image"] = bad
    frame.to_csv(folder / "train.csv", index=False)
    with pytest.raises(UserError, match=r"train.csv line 4: image path .* resolves outside the data folder"):
        train("leaves", "efficientnet_lite0", TINY_IMAGES, **QUIET)


def test_a_tuned_config_is_never_replaced_by_a_foreign_or_worse_study(workdir, configs):
    committed = configs / "house-prices/lasso-tuned.yaml"
    committed.write_text("# tuned by hand on the real data\nmodel:\n  name: lasso\n  params:\n    alpha: 0.0005\n")
    before = committed.read_bytes()
    out = tune("house-prices", "lasso", ["data=sample", "folds=2"], trials=2, log=lambda *a: None)
    assert committed.read_bytes() == before  # hand-written: kept byte for byte
    made = read_provenance(out["config"])
    assert out["config"].name.startswith("lasso-tuned-") and made["value"] == pytest.approx(out["best_value"])
    # The same data with a better recorded value: this study's result replaces nothing.
    better = dict(made, value=made["value"] / 2)
    text = out["config"].read_text().replace(PROVENANCE + json.dumps(made), PROVENANCE + json.dumps(better))
    out["config"].write_text(text)
    again = tune("house-prices", "lasso", ["data=sample", "folds=2"], trials=3, log=lambda *a: None)
    assert again["config"] is None and out["config"].read_text() == text and committed.read_bytes() == before


def test_new_measures_picture_sizes_only_inside_the_data_folder(tmp_path):
    """`make new` opens a sample of the pictures a CSV names to learn their size: a path leading out of the data
    folder (``../``) is not opened."""
    import numpy as np
    from PIL import Image

    from kagglekit.images.data import picture_side

    folder = tmp_path / "data"
    folder.mkdir()
    Image.fromarray(np.zeros((40, 20, 3), np.uint8)).save(tmp_path / "outside.png")
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(folder / "inside.png")
    assert picture_side([folder / "../outside.png"], folder) is None
    assert picture_side([folder / "inside.png", folder / "../outside.png"], folder) == 12
