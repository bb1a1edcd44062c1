"""`make new comp=NAME data_dir=PATH`: a competition folder written from its files, with every guess printed.

It runs unattended: id and target columns, task, submission shape, metric and kind are guessed from
train.csv / test.csv / sample_submission.csv, written to ``competitions/NAME/competition.yaml`` (and a
starting ``configs/NAME/defaults.yaml``) and printed so the user can correct them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd
import yaml

from ..core.competition import check_name
from ..core.config import parse_overrides
from ..core.dataset import looks_like_amounts, read_amounts
from ..core.dates import looks_like_dates
from ..core.errors import UserError
from ..core.io import atomic_write_text
from ..core.metrics import METRICS, get_metric, map_k
from ..core.files import COMPRESSED, found_instead, locate_table, read_table, read_yaml
from ..core.paths import competitions_dir, config_dir, display
from ..core.submission import labels_a_row
from ..images.data import IMAGE_SUFFIXES, image_path_column, picture_side, pixel_columns
from ..tabular.roles import guess_roles, missing_markers
from ..tabular.validation import guess_validation
from .args import need

SAMPLE_NAMES = ("sample_submission.csv", "sampleSubmission.csv")


def _find(folder: Path, names, pattern: str) -> Optional[Path]:
    for name in names:
        if locate_table(folder / name).exists():
            return locate_table(folder / name)
    hits = sorted(p for p in folder.glob(pattern) if p.is_file() and p.name.endswith((".csv",) + COMPRESSED))
    return hits[0] if hits else None


def _match(name: str, columns: List[str]) -> Optional[str]:
    """``name`` among ``columns``, exactly or ignoring case (a `Label` submission column for a `label` target)."""
    if name in columns:
        return name
    lower = {str(c).lower(): c for c in columns}
    return lower.get(str(name).lower())


def _class_folders(folder: Path) -> Optional[Dict[str, str]]:
    """{train_dir, test_dir} when ``folder`` holds pictures in class folders (``train/<class>/<file>``) and a test
    folder of pictures (``test/<file>``), as many Kaggle image competitions ship them; else None."""
    dirs = [d for d in sorted(folder.iterdir()) if d.is_dir()]
    def pictures(d, pattern):
        return [p for p in d.glob(pattern) if p.suffix.lower() in IMAGE_SUFFIXES]
    train = next((d for d in dirs if "train" in d.name.lower() and len([c for c in d.iterdir() if c.is_dir()]) >= 2
                  and pictures(d, "*/*")), None)
    test = next((d for d in dirs if "test" in d.name.lower() and pictures(d, "*")), None)
    return {"train_dir": train.name, "test_dir": test.name} if train and test else None


def _guess_class_folders(folder: Path, name: str, dirs: Dict[str, str], sample_path: Path) -> Dict:
    """competition.yaml for a class-folder image competition: the folder is the label, the file name the id."""
    sample = read_table(sample_path, name)
    if len(sample.columns) != 2:
        raise UserError(f"{display(sample_path)}: a class-folder competition's sample submission has an id and a label "
                        f"column; it has {list(sample.columns)}. Write competition.yaml by hand (images.layout: "
                        "class_folders).")
    sub_id, label = sample.columns
    classes = [d.name for d in (folder / dirs["train_dir"]).iterdir() if d.is_dir()]
    images, line = _with_side(
        {"layout": "class_folders", **dirs},
        f"images in class folders: {dirs['train_dir']}/<class>/<file> ({len(classes)} classes), {dirs['test_dir']}/<file>; "
        f"the sample's '{sub_id}' names the test files, '{label}' the class",
        sorted(p for p in (folder / dirs["train_dir"]).glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES), folder)
    return {"kaggle": name, "title": name, "kind": "image", "task": "binary" if len(classes) == 2 else "multiclass",
            "id": str(sub_id), "target": str(label), "metric": "accuracy", "submission": {"format": "label"},
            "images": images, "files": {"sample_submission": sample_path.name}, "evidence": [line]}


def _with_side(images: Dict, evidence: str, pictures: List[Path], folder: Path) -> tuple:
    """(images section, evidence line) with the pictures' own side (``picture_side``) added where any could be read."""
    side = picture_side(pictures, folder)
    return ({**images, "side": side}, f"{evidence}; pictures about {side} px a side") if side else (images, evidence)


def guess_competition(folder: Path, name: str) -> Dict:
    """The competition.yaml content for the files in ``folder``."""
    train_path = _find(folder, ("train.csv",), "*train*.csv*")
    sample_path = _find(folder, SAMPLE_NAMES, "*ubmission*.csv*")
    dirs = _class_folders(folder) if train_path is None and sample_path is not None else None
    if dirs is not None:
        spec = _guess_class_folders(folder, name, dirs, sample_path)
        spec["validation"] = guess_validation(pd.DataFrame(), None, [], spec["task"])
        return spec
    if train_path is None or sample_path is None:
        raise UserError(f"{display(folder)} needs a train CSV and a sample submission CSV (found: "
                        f"{', '.join(p.name for p in folder.iterdir()) or 'nothing'})."
                        f"{found_instead(folder / 'train.csv') if any(folder.glob('*.zip')) else ''}")
    test_path = _find(folder, ("test.csv",), "*test*.csv*")
    train, sample = read_table(train_path, name), read_table(sample_path, name)
    test = read_table(test_path, name) if test_path else None
    sub_id, pred_cols = sample.columns[0], list(sample.columns[1:])
    spec: Dict = {"kaggle": name, "title": name}
    markers, marked = missing_markers([train] + ([test] if test is not None else []), [sub_id])
    if markers:  # read as the runs will read them: those columns are numbers
        spec["read_csv"] = {"na_values": markers}
        train = read_table(train_path, name, **spec["read_csv"])
        test = read_table(test_path, name, **spec["read_csv"]) if test_path else None
    files = {"train": train_path.name, "test": test_path.name if test_path else "", "sample_submission": sample_path.name}
    train_id = _match(sub_id, list(train.columns))
    in_test = test is not None and sub_id in test.columns
    spec["id"] = train_id if train_id and (in_test or test is None) else None
    if spec["id"] is None or spec["id"] != sub_id:
        spec["submission"] = {"id": sub_id}
    # Targets: the sample's prediction columns found in train; else (one column per class) train's extra column.
    extra = [c for c in train.columns if test is not None and c not in test.columns and c != spec["id"]]
    class_columns = len(pred_cols) > 1 and len(extra) == 1 and \
        set(map(str, train[extra[0]].unique())) == set(map(str, pred_cols))
    targets = extra if class_columns else \
        [c if c in train.columns else (_match(c, list(train.columns)) if len(pred_cols) == 1 else None) for c in pred_cols]
    if not all(targets):
        if len(extra) != 1:
            raise UserError(f"cannot tell the target: the sample's columns {pred_cols} are not in {train_path.name} and "
                            f"it has {len(extra)} columns test.csv lacks ({extra[:5]}). Write competition.yaml by hand.")
        # train's one extra column is the target: one probability column per class when the sample has several,
        # else the sample names its one prediction column its own way ("Predicted", "Category")
        targets, class_columns = extra, len(pred_cols) > 1
    amounts = [t for t in targets if looks_like_amounts(train[t])]  # a price written "$1,234": a number to predict
    for t in amounts:
        train[t] = read_amounts(train[t])
    y = train[targets[0]]
    numeric = pd.api.types.is_numeric_dtype(y)
    distinct = y.nunique()
    if len(targets) > 1:
        task = "multilabel" if all(set(train[t].dropna().unique()) <= {0, 1} for t in targets) else "regression"
    elif numeric and (distinct > 20 or not np.allclose(y.dropna(), np.round(y.dropna()))):
        task = "regression"
    else:
        task = "binary" if distinct == 2 else "multiclass"
    spec.update(task=task, target=targets[0] if len(targets) == 1 else targets)
    sample_values = pd.to_numeric(sample[pred_cols[0]], errors="coerce")
    fractional = sample_values.notna().all() and not np.allclose(sample_values, np.round(sample_values))
    # the sample ranks several classes in a cell ("a b c"): Kaggle's MAP@K layout
    top = labels_a_row(sample[pred_cols[0]], y.dropna().unique()) if task == "multiclass" and len(pred_cols) == 1 else None
    if task == "regression":  # a skewed positive amount is scored on logs; rows left without a target say nothing
        labelled = train[targets].dropna().to_numpy()
        fmt, metric = "value", ("rmse_log" if (labelled > 0).all() and float(y.skew()) > 1 else "rmse")
    elif class_columns:
        fmt, metric = "class_proba", "logloss"
    elif task == "multilabel":
        fmt, metric = ("proba", "roc_auc") if fractional else ("label", "accuracy")
    elif task == "binary" and fractional:
        fmt, metric = "proba", "roc_auc"
    elif top:
        fmt, metric = "top_labels", f"map@{top}"
    else:
        fmt, metric = "label", "accuracy"
    spec["metric"] = metric
    spec.setdefault("submission", {})["format"] = fmt
    pixels = pixel_columns(train, "pixel")
    side = int(round(np.sqrt(len(pixels)))) if pixels else 0
    evidence = []
    if pixels and side * side == len(pixels):
        spec.update(kind="image", other_kinds=["tabular"],
                    images={"layout": "pixels", "pixel_prefix": "pixel", "height": side, "width": side, "channels": 1})
        evidence.append(f"pixels '{pixels[0]}'..'{pixels[-1]}': {len(pixels)} columns, a {side}x{side} picture a row")
    paths = None if pixels else image_path_column(train, folder)
    if paths:
        images, line = _with_side({"layout": "path_column", "path_column": paths[0]}, paths[1],
                                  [folder / v for v in train[paths[0]].dropna().astype(str)], folder)
        spec.update(kind="image", images=images)
        evidence.append(line)
    spec["files"] = files
    # An id written as dates (a timestamp per row, as in bike-sharing demand) is the rows' time: a date feature too,
    # and what time folds follow.
    dated_id = bool(spec["id"]) and looks_like_dates(train[spec["id"]]) and \
        (test is None or spec["id"] not in test.columns or looks_like_dates(test[spec["id"]]))
    skip = ([spec["id"]] if spec["id"] and not dated_id else []) + targets + pixels + ([paths[0]] if paths else [])
    validation = guess_validation(train, test, skip, task)
    train_only = [c for c in extra if c not in targets]  # given in train.csv only (counts that add up to the target)
    roles = guess_roles(train, test, skip + validation.dates + train_only, train[targets[0]] if len(targets) == 1 else None,
                        task != "regression")
    columns = {**({"date": validation.dates} if validation.dates else {}), **roles.columns}
    if train_only:
        columns["drop"] = train_only + columns.get("drop", [])
        roles.evidence.append(f"{', '.join(repr(c) for c in train_only)}: in {train_path.name} only (test.csv lacks "
                              "them): not features (columns.drop)")
    if amounts:
        columns["amounts"] = amounts + columns.get("amounts", [])
        roles.evidence.extend(f"amounts '{t}' (the target): read as numbers" for t in amounts)
    if columns:
        spec["columns"] = columns
    groups = [f"group key '{validation.cv['group_column']}': {validation.evidence[0].split(': ', 1)[1]} (group folds)"] \
        if validation.cv.get("scheme") == "group" else []
    dates = [f"date '{c}': reads as dates and times" + (" (the id too: a feature as well)" if c == spec["id"] else "")
             for c in validation.dates]
    ranked = [f"submission '{pred_cols[0]}': {top} class labels a cell, best first (e.g. {sample[pred_cols[0]].iloc[0]!r}): "
              f"scored as MAP@{top}"] if fmt == "top_labels" else []
    spec["evidence"] = evidence + ranked + marked + dates + groups + roles.evidence
    spec["validation"] = validation  # written to configs/NAME/defaults.yaml, not to competition.yaml
    return spec


def _metric_line(guessed: str) -> str:
    """A comment naming the metrics that score the same predictions as the guess: the files cannot say which one the
    rules use, and the metric also decides what models fit (mae: absolute errors)."""
    if map_k(guessed):
        return ""  # ranked labels: map@K it is, K read off the sample
    needs = get_metric(guessed).needs
    others = [n for n, m in METRICS.items() if m.needs == needs and n != guessed and not map_k(n)]
    return (f"# metric: {guessed} is a guess; set the one the competition's Evaluation page names "
            f"(for these predictions also: {', '.join(others)})\n") if others else ""


def write_competition(name: str, folder: Path, force: bool = False) -> Path:
    """Write competitions/NAME/competition.yaml and configs/NAME/defaults.yaml from the files in ``folder``."""
    check_name(name)
    target = competitions_dir() / name / "competition.yaml"
    if target.exists() and not force:
        raise UserError(f"{display(target)} exists; pass force=true to overwrite it.")
    spec = guess_competition(folder, name)
    validation, evidence = spec.pop("validation"), spec.pop("evidence", [])
    defaults = config_dir() / name / "defaults.yaml"
    kept = (read_yaml(defaults) or {}).get("cv") if defaults.exists() else None
    if kept is not None and {k: kept.get(k) for k in validation.cv} != validation.cv:  # theirs stays; say what differs
        folds = [f"# folds ({display(defaults)}, kept as it was: {kept.get('scheme')}): the files suggest "
                 f"{validation.cv.get('scheme')}, {validation.evidence[0] if validation.evidence else ''}; delete the file "
                 "and run `make new` again to take the guess\n"]
    else:
        folds = [f"# folds ({display(defaults)}): {validation.cv.get('scheme')}, {line}\n" for line in validation.evidence[:1]]
    header = (f"# Written by `make new comp={name} data_dir={folder}`: every value below is a guess from the files.\n"
              "# Check id, target, task, metric and submission (see the README's competition.yaml reference).\n"
              + _metric_line(spec["metric"]) + "".join(f"# columns, {line}\n" for line in evidence) + "".join(folds))
    atomic_write_text(target, header + yaml.safe_dump(spec, sort_keys=False))
    if not defaults.exists():  # a user's own defaults are never replaced
        why = "".join(f"# {line}\n" for line in validation.evidence)
        atomic_write_text(defaults, f"# {name}: shared settings of every model config here. Folds guessed from how test "
                          f"relates to train:\n{why}" + yaml.safe_dump({"cv": validation.cv}, sort_keys=False))
    return target


def cmd_new(own, overrides) -> None:
    name = need(own, "comp", "new")
    folder = parse_overrides(overrides).get("data", {}).get("dir")
    if not folder:
        raise UserError("`make new` needs data_dir=PATH: the folder with the competition's train/test/sample files.")
    path = write_competition(name, Path(folder).expanduser(), own.get("force", "false").lower() in ("1", "true", "yes"))
    print(path.read_text())
    print((config_dir() / name / "defaults.yaml").read_text())
    warn_on_shift(name, Path(folder).expanduser())
    print(f"wrote {display(path)}; next: `make train comp={name} model=lightgbm data_dir={folder}`")


def warn_on_shift(name: str, folder: Path) -> None:
    """A quick adversarial validation of the new competition's train vs test rows: a warning when they differ."""
    from ..core.competition import load_competition
    from ..core.dataset import read_competition_files
    from ..tabular.shift import adversarial_validation
    from ..tasks import task_offering

    spec = load_competition(name)
    try:
        task_offering(spec, "shift", "the shift check")
    except UserError:
        return  # pictures only (class folders): no table to compare
    data = read_competition_files(spec, folder, need_test_id=False)
    drop = ([spec.id] if spec.id else []) + spec.targets + list(spec.columns.drop)
    if data.test is None or not [c for c in data.train.columns if c not in drop and c in data.test.columns]:
        return  # nothing but ids and targets (pictures named by path): no columns to compare
    report = adversarial_validation(data.train, data.test, drop, folds=3, trees=100, max_rows=3000)
    message = report.warning()
    print(f"warning: {message} (`make shift comp={name} data_dir={folder}` for the full check)" if message else
          f"train vs test look alike (adversarial AUC {report.auc:.3f} on up to 3,000 rows each).")
