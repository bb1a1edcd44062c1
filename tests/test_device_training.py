"""The GPU path, tested on the CPU: batch augmentation on the device, the device-resident feed, parallel folds in
worker processes, the airbench-style net and the reference loop the bench compares against."""

import numpy as np
import pytest
import torch

from kagglekit.commands.bench import speed_line
from kagglekit.core.errors import UserError
from kagglekit.core.runs import RunDir
from kagglekit.images.batch_augment import build_batch_augment, translate
from kagglekit.images.backbones import create_backbone
from kagglekit.images.feed import epoch_batches
from kagglekit.pipeline import train
from kagglekit.tasks import get_task, load_config

QUIET = dict(progress=False, log=lambda *a: None)
TINY = ["data=sample", "model.params.pretrained=none", "model.params.epochs=3", "model.params.batch_size=16",
        "model.params.lr=0.01", "model.params.head_lr_mult=1", "model.params.warmup_epochs=0.5", "folds=3",
        "model.params.arch=test_resnet", "augment.train=[]", "augment.cutmix_alpha=0", "augment.tta=[hflip]"]


def fold_arrays(run_dir):
    rd = RunDir.at(run_dir)
    return {k: rd.load_fold(k) for k in range(3)}


def assert_same_folds(a, b):
    for k in a:
        for name in ("valid_idx", "valid_pred", "test_pred"):
            np.testing.assert_array_equal(a[k][name], b[k][name])


def test_batch_steps_do_what_they_say():
    g = torch.Generator().manual_seed(0)
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).view(2, 3, 6, 6)
    flipped = build_batch_augment([{"hflip": {"p": 1.0}}, {"vflip": 1.0}])(x, g)
    assert torch.equal(flipped, x.flip(-1).flip(-2))
    assert torch.equal(build_batch_augment([{"hflip": 0.0}])(x, g), x)
    # a translation is a window of the reflect-padded picture: every image keeps its size, and unshifted rows survive
    shifted = translate(x, torch.Generator().manual_seed(1), pixels=2)
    assert shifted.shape == x.shape and not torch.equal(shifted, x)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
    for i in range(2):
        hits = [(dy, dx) for dy in range(5) for dx in range(5) if torch.equal(padded[i, :, dy:dy + 6, dx:dx + 6], shifted[i])]
        assert len(hits) == 1
    identity = build_batch_augment([{"affine": {"scale": [1, 1], "rotate": 0, "translate": 0, "p": 1}}])(x, g)
    assert torch.allclose(identity, x, atol=1e-3)
    warped = build_batch_augment([{"affine": {"rotate": 30, "p": 1}}])(x, g)
    assert warped.shape == x.shape and not torch.allclose(warped, x, atol=1e-2)
    cut = build_batch_augment([{"cutout": 2}])(x + 1, g)
    assert int((cut == 0).sum()) > 0
    # the same seed draws the same augmentation (runs repeat and resume exactly)
    steps = build_batch_augment(["hflip", {"translate": 2}, "affine", {"cutout": 3}])
    a = steps(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, steps(x, torch.Generator().manual_seed(5)))


def test_bad_device_augmentation_and_feed_are_refused_before_training(workdir):
    with pytest.raises(UserError, match="augment.device: unknown step 'rotate'; choose from hflip, vflip"):
        load_config("cifar10", "airbench", ["augment.device=[rotate]"])
    with pytest.raises(UserError, match="translate takes pixels; got px"):
        load_config("cifar10", "airbench", ["augment.device=[{translate: {px: 3}}]"])
    with pytest.raises(UserError, match="speed.feed=device cannot run augment.train"):
        load_config("cifar10", "resnet18", ["speed.feed=device"])
    with pytest.raises(UserError, match="bad value speed.feed='gpu'"):
        load_config("cifar10", "airbench", ["feed=gpu"])
    with pytest.raises(UserError, match="speed.parallel=-1"):
        load_config("cifar10", "airbench", ["parallel=-1"])


def test_epoch_batches_cover_every_row_once():
    g = torch.Generator().manual_seed(3)
    batches = epoch_batches(50, 16, g)
    assert [len(b) for b in batches] == [16, 16, 16]  # the short last batch is dropped
    assert len(set(torch.cat(batches).tolist())) == 48
    assert [len(b) for b in epoch_batches(10, 16, g)] == [10]  # unless it is the only one


def test_device_feed_gives_the_loader_feed_result(workdir, tmp_path):
    """Pictures resident on the device and a DataLoader draw the same batches: same folds, bit for bit. With the same
    threads: left to the default, a run takes one thread while the other test worker is busy and two when it is not,
    and two thread counts sum in another order (the full suite failed twice so, by 1e-6 and then 0.5%)."""
    args = TINY + ["augment.device=[hflip, {translate: 2}, {cutout: 4}]", "speed.threads=1"]
    loader = train("cifar10", "resnet18", args + ["feed=loader"], runs_base=tmp_path / "loader", **QUIET)
    device = train("cifar10", "resnet18", args + ["feed=device"], runs_base=tmp_path / "device", **QUIET)
    assert loader.run_dir.name == device.run_dir.name  # the feed is a speed key: the same run id
    feeds = {fold["info"]["feed"] for run in (loader, device) for fold in fold_arrays(run.run_dir).values()}
    assert feeds == {"loader", "device"}
    assert_same_folds(fold_arrays(loader.run_dir), fold_arrays(device.run_dir))
    assert loader.record["cv_mean"] > 0.2  # 10 classes: chance is 0.10


def test_parallel_folds_in_worker_processes_give_the_serial_files(workdir, tmp_path):
    """parallel=2 fits two folds at once in spawned processes (one GPU each on a GPU machine); with the same threads
    per fold, the saved folds equal one process's."""
    args = TINY + ["speed.threads=1"]
    serial = train("cifar10", "resnet18", args, runs_base=tmp_path / "serial", **QUIET)
    parallel = train("cifar10", "resnet18", args + ["parallel=2"], runs_base=tmp_path / "parallel", **QUIET)
    assert_same_folds(fold_arrays(serial.run_dir), fold_arrays(parallel.run_dir))
    assert parallel.record["cv_mean"] == serial.record["cv_mean"]
    assert sorted(p.name for p in parallel.run_dir.glob("fold_*.best.pt")) == [f"fold_{k}.best.pt" for k in range(3)]


def test_airbench_net_learns_with_device_augmentation_and_the_bench_compares_to_the_reference(workdir):
    model = create_backbone("airbench_net", 10, "none")
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10) and model.get_classifier().out_features == 10
    with pytest.raises(UserError, match="pretrained=offline has weights for"):
        create_backbone("airbench_net", 10, "offline")
    args = ["data=sample", "folds=3", "model.params.arch=test_airbench_net", "model.params.epochs=8",
            "model.params.batch_size=16", "model.params.lr=0.05"]
    res = train("cifar10", "airbench", args, **QUIET)
    assert res.record["cv_mean"] > 0.3  # 10 classes: chance is 0.10
    ref = get_task("image").speed_reference(RunDir.at(res.run_dir), res.record)
    assert ref["ours_img_s"] > 0 and ref["reference_img_s"] > 0 and ref["ratio"] == pytest.approx(
        ref["ours_img_s"] / ref["reference_img_s"], rel=0.01)
    assert "loop vs reference" in speed_line(ref)


def test_ddp_on_two_gloo_processes_trains_each_fold_like_one_process(workdir, tmp_path):
    """gpus=2 without GPUs: two CPU ranks (gloo) train each fold together; rank 0 alone writes; the driver predicts.
    The same files come out, and the score is within noise of one process's (BN statistics are per rank)."""
    # One fold of three: each fold starts two ranks (a torch import each), the suite's costliest seconds.
    args = TINY + ["model.params.epochs=6", "augment.device=[hflip]", "speed.threads=1", "cv.only_folds=[0]"]
    one = train("cifar10", "resnet18", args, runs_base=tmp_path / "one", **QUIET)
    two = train("cifar10", "resnet18", args + ["gpus=2"], runs_base=tmp_path / "two", **QUIET)
    assert sorted(p.name for p in two.run_dir.iterdir()) == sorted(p.name for p in one.run_dir.iterdir())
    assert not list(two.run_dir.glob("*.ckpt")) and not list(two.run_dir.glob("*.pkl"))
    assert not (two.run_dir / "fold_1.npz").exists()
    folds = {0: RunDir.at(two.run_dir).load_fold(0)}
    for k, fold in folds.items():
        assert [h["epoch"] for h in fold["info"]["history"]] == list(range(1, 7))
        assert fold["valid_pred"].shape == (40, 10) and np.allclose(fold["valid_pred"].sum(1), 1, atol=1e-4)
    assert two.record["cv_mean"] > 0.3  # 10 classes: chance is 0.10
    assert abs(two.record["cv_mean"] - one.record["cv_mean"]) < 0.2
