"""Image competitions: cached pictures, timm fine-tuning, or any table model on frozen-backbone embeddings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..core.config import build_config, check_choices, config_layers
from ..core.errors import UserError
from ..core.io import atomic_write_text
from ..core.paths import runs_root
from ..core.speed import torch_device
from ..images.layout import ImagesSpec, images_spec
from ..images.run_config import ImageRunConfig
from ..images.data import load_image_data
from ..images.reports import confused_pairs, confused_pairs_png, confusion_matrix_png, learning_curves
from ..images.sample import write_image_sample
from ..models import get_entry
from ..tabular.run_config import PreprocessConfig
from ..tabular.fitter import TableProblem, TableFoldFitter
from .base import Task

TTA_VIEWS = ("hflip", "vflip", "crops")


class ImageTask(Task):
    kind = "image"
    config_cls = ImageRunConfig
    eats = ("images", "table", "frame", "categories")
    native = ("images",)  # table models here learn from a frozen backbone's embeddings
    spec_sections = {"images": ImagesSpec}

    def check_config(self, spec, run: ImageRunConfig) -> None:
        super().check_config(spec, run)
        if spec.task not in ("binary", "multiclass"):
            raise UserError(f"{spec.name}: image runs classify (binary or multiclass); {spec.task} is not supported yet.")
        if run.image.size < 8:
            raise UserError(f"image.size={run.image.size}: pictures need at least 8 x 8 pixels.")
        from ..images.batch_augment import build_batch_augment  # torch: imported by image runs only
        from ..images.feed import check_feed

        bad = [v for v in run.augment.tta if v not in TTA_VIEWS]
        if bad:
            raise UserError(f"augment.tta: unknown view(s) {bad}; choose from {', '.join(TTA_VIEWS)}.")
        build_batch_augment(run.augment.device)
        check_choices({"speed.feed": (run.speed.feed, ("auto", "loader", "device"))})
        check_feed(run.speed.feed, bool(run.augment.train))
        if run.speed.gpus < 1:
            raise UserError(f"speed.gpus={run.speed.gpus}: the number of processes (GPUs) training each fold, 1 or more.")

    def load(self, spec, run, log):
        return load_image_data(spec, run, log)

    def portfolio(self, spec):
        where = images_spec(spec)
        if where.layout == "pixels":  # the rows are pictures: table models on the raw pixel columns, and a small CNN
            return [("ridge", {}, 0.3), ("lightgbm", {}, 1.0), ("extra_trees", {}, 1.0),
                    ("pixel_cnn", pixel_cnn_recipe(max(8, where.height, where.width)), 2.0)]
        # A fine-tune, and on the frozen embeddings a logistic regression (a linear probe: on a 176-class subset as
        # accurate as the booster that takes a minute a fold), a small net and a booster, each a member to ensemble.
        # The fine-tune is priced before it starts from a few timed steps (``fold_seconds``) and sized to the budget
        # (fewer epochs, ``budget_rungs``). On a GPU it comes first with the longer recipe (20 epochs, warps on the
        # device batch): there it is by far the best member (0.969 on a fold of Classify Leaves, the probes 0.842).
        # On a CPU the two cheap probes come first, so that a fine-tune that takes most of the budget cannot crowd
        # them out of the ensemble (a 2,000-picture subset at time=600: the fine-tune alone 0.532, the logistic
        # regression 0.568); then the short recipe (96 px, a frozen-backbone epoch, 4 epochs), which all of an
        # 18,000-picture set (over 20 minutes even at 2 epochs on 2 cores) skips with a line.
        # The linear probe keeps one C: choosing it on inner folds (the tables' default) costs several fits, and the
        # logistic fit on 18,000 embeddings of 176 classes already takes about a minute a fold on 2 cores.
        cheap = [("ridge", {"model.params.alpha": 1.0}, 0.5), ("mlp", EMBEDDING_MLP, 0.5)]  # the probes first
        booster = ("lightgbm", {}, 5.0)
        if where.side and where.side <= SMALL_PICTURE:
            # Tiny pictures (8 x 8 handwriting in class folders): upscaled for an ImageNet backbone they embed poorly and
            # fine-tune slowly; the small CNN at their own size is cheap and, on pixel CSVs, the best member.
            cheap.append(("pixel_cnn", pixel_cnn_recipe(max(8, where.side)), 2.0))
        if torch_device("auto").type == "cuda":
            own = build_config(config_layers(spec.name, "timm"), ImageRunConfig, spec.name, "timm", self.kind)
            return [("timm", gpu_finetune_recipe(own), 1.0), *cheap, booster]
        return [*cheap, ("timm", CPU_FINETUNE, 10.0), booster]

    def estimates(self, run) -> bool:
        """A fine-tune: on 2 CPU cores the short recipe takes about 100 s a fold of 2,000 pictures but 15 minutes a
        fold of an 18,000-picture set, and on a GPU 20 epochs of CIFAR-10's 40,000 a fold took 7 minutes, which a
        budget must learn before the run starts, not after a fold."""
        return get_entry(run.model.name).eats == "images"

    def fold_seconds(self, spec, run, data):
        """From a few timed training steps on this machine (``images.estimate``)."""
        from ..images.estimate import finetune_fold_seconds

        return finetune_fold_seconds(run, data.train[spec.targets[0]].nunique(), len(data.train), len(data.test),
                                     torch_device(run.speed.device), runs_root() / spec.name / "speed.json")

    def budget_rungs(self, run):
        """A fine-tune at its own epochs, then at fewer (``images.estimate.epoch_rungs``)."""
        if not self.estimates(run):
            return [{}]
        from ..images.estimate import epoch_rungs

        return [{}] + [{"model.params.epochs": e} for e in epoch_rungs(run)[1:]]

    def write_sample(self, spec, folder: Path, seed: int = 0) -> Path:
        return write_image_sample(spec, folder, seed)

    def fold_fitter(self, spec, run: ImageRunConfig, data, targets, rd, progress, log):
        from ..images.fitter import embedding_tables, finetune_fitter

        if get_entry(run.model.name).eats == "images":
            return finetune_fitter(run, rd, data, targets, progress, log)
        # Any table model learns from the frozen backbone's pooled features of the same pictures.
        train, test, seconds = embedding_tables(run, data)
        data.kind_data.seconds += seconds
        problem = TableProblem(train, test, targets, PreprocessConfig(skew_threshold=None))
        fit = TableFoldFitter(problem, run.model.name, run.model.params, run.seed, run.speed, rd.path / "models",
                              run.model.seeds, run.cv.n_splits)

        def fit_fold(k, train_idx, valid_idx):
            start = time.perf_counter()
            out = fit(k, train_idx, valid_idx)
            out.info.update(train_seconds=time.perf_counter() - start, predict_seconds=0.0,
                            train_img_s=len(train_idx) / max(time.perf_counter() - start, 1e-9), infer_img_s=0.0,
                            device=out.info.get("device", "cpu"), history=[])
            return out

        fit_fold.beside = fit.beside  # the embeddings' booster folds side by side as a table's (core/executors.py)
        return fit_fold

    def model_label(self, run: ImageRunConfig) -> str:
        if get_entry(run.model.name).eats == "images":
            return f"{run.model.name}:{run.model.params.get('arch')}"
        return f"{run.model.name}:emb-{run.image.embed_arch}"

    def speed_reference(self, rd, record: dict):
        config = rd.load_config()
        if get_entry(config["model"]["name"]).eats != "images":
            return None
        from ..images.reference import compare_to_reference

        folds = [rd.load_fold(k) for k in range(config["cv"]["n_splits"])]
        histories = [f["info"]["history"] for f in folds if f is not None and f["info"].get("history")]
        return compare_to_reference(config, len(record["classes"]), histories)

    def reports(self, rd, run, data, targets, oof, infos, metric, plots: bool = True) -> dict:
        done = ~np.isnan(oof).any(axis=1)
        if plots:
            learning_curves({i["fold"]: i["history"] for i in infos if i.get("history")}, rd.path / "learning_curves.png",
                            {i["fold"]: i["best_epoch"] for i in infos if "best_epoch" in i})
        y, proba = targets.y[done], oof[done]
        if len(targets.classes) <= 40:
            if plots:
                confusion_matrix_png(y, proba, targets.classes, rd.path / "confusion_matrix.png")
        else:  # a 176 x 176 matrix is unreadable: the pairs mistaken most often instead
            table = confused_pairs(y, proba, targets.classes)
            atomic_write_text(rd.path / "confused_pairs.csv", table.to_csv(index=False))
            if plots:
                confused_pairs_png(table, rd.path / "confused_pairs.png", float(np.mean(proba.argmax(1) == y)))
        return {
            "train_seconds": round(sum(i["train_seconds"] for i in infos), 2),
            "predict_seconds": round(sum(i["predict_seconds"] for i in infos), 2),
            "train_img_s": round(float(np.mean([i["train_img_s"] for i in infos])), 1),
            "infer_img_s": round(float(np.mean([i["infer_img_s"] for i in infos])), 1),
            "device": infos[0]["device"],
            "image_size": run.image.size,
            "cache_seconds": round(data.kind_data.seconds, 2),
        }


# A one-hidden-layer net on the frozen embeddings: on all of Classify Leaves 0.83643 in 104 s for five folds (2 cores)
# beside the logistic regression's 0.84286, and their hill ensemble 0.85032: a cheap, different second probe.
EMBEDDING_MLP = {"model.params.hidden": [512], "model.params.dropout": 0.3, "model.params.batch_size": 256,
                 "model.params.patience": 10, "model.params.max_epochs": 100}
CPU_FINETUNE = {"model.params.epochs": 4, "model.params.freeze_epochs": 1, "model.params.lr": 0.002,
                "model.params.head_lr_mult": 5.0, "model.params.weight_decay": 0.02, "model.params.warmup_epochs": 0.3,
                "image.size": 96}
GPU_MIN_SIZE = 64  # CIFAR-10's fine-tune config upsamples its 32 px pictures to this
GPU_WARP = {"affine": {"scale": [0.85, 1.15], "rotate": 15, "translate": 0.05, "p": 0.8}}


def gpu_finetune_recipe(own: ImageRunConfig) -> dict:
    """The portfolio's fine-tune on a GPU (a 176-class competition's GPU config, 0.968 on a fold): 20 epochs at batch
    128, on pictures of at least ``GPU_MIN_SIZE`` px (an ImageNet backbone sees little in 32 px ones). ``own``: the
    competition's own merged config of the member. Where it augments nothing in training, the device batch gets small
    affine warps and the flips its TTA names: a competition that averages over a flip at test time says the flip
    keeps the label, and one that names none gets none (a flipped digit is another one)."""
    recipe = {"model.params.epochs": 20, "model.params.batch_size": 128, "model.params.lr": 0.002,
              "model.params.head_lr_mult": 5.0, "model.params.weight_decay": 0.02, "model.params.warmup_epochs": 1}
    if own.image.size < GPU_MIN_SIZE:
        recipe["image.size"] = GPU_MIN_SIZE
    augment = own.augment
    if not augment.train and not augment.device:
        recipe["augment.device"] = [view for view in ("hflip", "vflip") if view in augment.tta] + [GPU_WARP]
    return recipe


SMALL_PICTURE = 32  # pictures at most this many pixels a side also get ``pixel_cnn`` at their own size


def pixel_cnn_recipe(size: int) -> dict:
    """How the portfolio runs ``pixel_cnn`` (small pictures, a net from scratch): at the pictures' own size, small
    warps on the device batch and no flips (a flipped digit or letter is another one)."""
    return {"image.size": size, "augment.train": [], "augment.tta": [],
            "augment.device": [{"affine": {"scale": [0.9, 1.1], "rotate": 10, "translate": 0.08, "p": 0.7}}]}
