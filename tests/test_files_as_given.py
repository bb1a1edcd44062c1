"""Second audit (#26), the right results: files read as Kaggle ships them, ids kept byte for byte, 16-bit pictures
decoded, library extras checked, a full or read-only disk one line with nothing torn, the README's storage URL."""

import errno
import os

import numpy as np
import pandas as pd
import pytest

import kagglekit.core.io as io_module
from kagglekit.commands import main
from kagglekit.kaggle.submissions import check_file
from kagglekit.tuning import with_installed_driver
from kagglekit.core.competition import load_competition
from kagglekit.core.errors import UserError
from kagglekit.core.metrics import get_metric
from kagglekit.core.plots import pyplot, save_figure
from kagglekit.core.targets import encode_targets
from kagglekit.models.registry import build_model, validate_params
from kagglekit.pipeline import train
from helpers import sample_copy

QUIET = dict(progress=False, log=lambda *a: None)


class _Refusing:
    """``os`` as the atomic writer sees it on a disk that refuses every write with ``code``."""

    def __init__(self, code):
        self.code = code

    def __getattr__(self, name):
        return getattr(os, name)

    def fsync(self, fd):
        raise OSError(self.code, os.strerror(self.code))


def test_zero_padded_ids_reach_the_submission_byte_for_byte(workdir):
    folder = sample_copy("house-prices", workdir / "padded")
    for name in ("train.csv", "test.csv", "sample_submission.csv"):
        frame = pd.read_csv(folder / name)
        frame["Id"] = frame["Id"].map(lambda v: f"{v:06d}")
        frame.to_csv(folder / name, index=False)
    res = train("house-prices", "lasso", [f"data_dir={folder}"], **QUIET)
    written = pd.read_csv(res.submission, dtype=str)["Id"].tolist()
    assert written == pd.read_csv(folder / "sample_submission.csv", dtype=str)["Id"].tolist()
    assert written[0].startswith("00")
    spec = load_competition("house-prices")
    check_file(spec, res.submission, res.record)  # `make submit`'s re-check compares the ids as text
    stripped = res.submission.with_name("stripped.csv")
    pd.read_csv(res.submission).to_csv(stripped, index=False)  # what reading ids as numbers would write
    with pytest.raises(UserError, match="not the sample's ids"):
        check_file(spec, stripped, res.record)


def test_compressed_csvs_are_read_as_kaggle_ships_them(workdir):
    plain = train("house-prices", "lasso", ["data=sample"], **QUIET)
    folder = sample_copy("house-prices", workdir / "packed")
    pd.read_csv(folder / "train.csv").to_csv(folder / "train.csv.zip", index=False, compression="zip")
    pd.read_csv(folder / "test.csv").to_csv(folder / "test.csv.gz", index=False)
    (folder / "train.csv").unlink()
    (folder / "test.csv").unlink()
    packed = train("house-prices", "lasso", [f"data_dir={folder}"], **QUIET)
    assert packed.cv_mean == pytest.approx(plain.cv_mean, abs=1e-12)


def test_a_single_class_target_is_named_without_misleading_advice():
    spec = load_competition("credit")
    frame = pd.DataFrame({spec.targets[0]: ["good"] * 5})
    with pytest.raises(UserError, match="single class") as caught:
        encode_targets(spec, frame, get_metric(spec.metric), "train.csv")
    assert "multiclass" not in str(caught.value)


def test_a_section_written_as_a_list_names_the_section(workdir, monkeypatch):
    (workdir / "competitions/tiny").mkdir(parents=True)
    (workdir / "competitions/tiny/competition.yaml").write_text("target: y\nmetric: rmse\ncolumns: [a, b]\n")
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(workdir / "competitions"))
    with pytest.raises(UserError, match=r"'columns' is a section of key: value pairs \(e.g. columns: \{categorical"):
        load_competition("tiny")


def test_a_sixteen_bit_png_is_scaled_not_blank(tmp_path):
    from PIL import Image

    from kagglekit.images.cache import decode

    ramp = np.tile(np.linspace(0, 65535, 64), (64, 1)).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "gray16.png")
    assert Image.open(tmp_path / "gray16.png").mode.startswith("I;16")
    pixels = decode(str(tmp_path / "gray16.png"), 64)[..., 0].astype(float)
    assert pixels.std() > 60 and pixels[:, 0].max() < 5 and pixels[:, -1].min() > 250  # the ramp, dark to light


def test_a_full_disk_while_caching_images_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    from PIL import Image

    import kagglekit.images.cache as cache

    paths = []
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(tmp_path / f"{i}.png")
        paths.append(tmp_path / f"{i}.png")

    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache.os, "posix_fallocate", no_space)
    with pytest.raises(UserError, match="cannot write the image cache .*No space left on device"):
        cache.cached_images(paths, 16, tmp_path / "cache", workers=1)
    assert not list((tmp_path / "cache").iterdir())


def test_a_plot_on_a_full_disk_leaves_no_torn_png(tmp_path, monkeypatch):
    fig, ax = pyplot().subplots()
    ax.plot([0, 1], [1, 0])
    monkeypatch.setattr(io_module, "os", _Refusing(errno.ENOSPC))
    with pytest.raises(UserError, match="plot.png: No space left on device"):
        save_figure(fig, tmp_path / "plot.png")
    assert not list(tmp_path.iterdir())


def test_compare_on_a_read_only_disk_still_prints_the_table(workdir, capsys, monkeypatch):
    train("house-prices", "lasso", ["data=sample"], **QUIET)
    capsys.readouterr()
    monkeypatch.setattr(io_module, "os", _Refusing(errno.EROFS))
    assert main(["compare", "comp=house-prices"]) == 0
    out = capsys.readouterr()
    assert "lasso" in out.out and "table not saved" in out.err and "Read-only file system" in out.err
    assert not (workdir / "runs/house-prices/compare.csv").exists()


def test_an_extra_parameter_xgboost_does_not_use_is_named(workdir):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)), rng.normal(size=120)
    from kagglekit.core.config import SpeedConfig

    def fit(extra):
        params = validate_params("xgboost", {"n_estimators": 20, "extra": extra})
        return build_model("xgboost", params, "regression", 0, SpeedConfig(threads=1)).fit(X, y)

    with pytest.raises(UserError, match=r'XGBoost did not use \{ "foo_bar" \}'):
        fit({"foo_bar": 3})
    assert fit({"grow_policy": "lossguide"}).predict(X).shape == (120,)  # a real one passes through


def test_the_readme_postgresql_url_uses_the_installed_driver():
    assert with_installed_driver("postgresql://u@h:5432/db") == "postgresql+psycopg2://u@h:5432/db"
    assert with_installed_driver("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert with_installed_driver("sqlite:///x.db") == "sqlite:///x.db"


def test_an_epoch_checkpoint_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import torch

    from kagglekit.images.finetune import save_checkpoint

    monkeypatch.setattr(io_module, "os", _Refusing(errno.ENOSPC))
    with pytest.raises(UserError, match="fold_0.ckpt: No space left on device"):
        save_checkpoint(tmp_path / "fold_0.ckpt", {"model": {"w": torch.ones(1000)}}, {"epoch": 1})
    assert not list(tmp_path.iterdir())
