"""Generated samples in a competition's exact Kaggle layout, from ``competitions/<name>/sample.yaml``.

The sample has the real column names, order, types, missing values and odd values, and a target
that depends on the features (so models can learn and tests can check they do). It is synthetic:
no row comes from the real data. ``describe_columns`` writes the column part of a sample.yaml from a
real train.csv (marginal statistics only), for adding a new competition.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pandas as pd
import yaml

from ..core.competition import CompetitionSpec
from ..core.errors import UserError
from ..core.io import atomic_write_text
from ..core.metrics import map_k
from ..core.samples import SAMPLE_NOTE, load_sample_spec

def _number(rng, c: dict, n: int) -> np.ndarray:
    if "quantiles" in c:  # piecewise-linear inverse CDF through stored quantiles
        q = np.asarray(c["quantiles"], float)
        x = np.interp(rng.uniform(0, len(q) - 1, n), np.arange(len(q)), q)
    elif c.get("dist") == "lognormal":
        x = np.exp(rng.normal(np.log(c["median"]), c.get("sigma", 0.5), n))
    elif c.get("dist") == "uniform":
        x = rng.uniform(c["min"], c["max"], n)
    else:
        x = rng.normal(c.get("mean", 0.0), c.get("sd", 1.0), n)
    if "min" in c or "max" in c:
        x = np.clip(x, c.get("min", -np.inf), c.get("max", np.inf))
    return np.round(x, c.get("decimals", 0))


def _choice(rng, c: dict, n: int) -> np.ndarray:
    choices = c["choices"]
    w = np.asarray(c.get("weights", [1] * len(choices)), float)
    return np.asarray(choices, dtype=object)[rng.choice(len(choices), n, p=w / w.sum())]


def _multi(rng, c: dict, n: int) -> np.ndarray:
    items = c["items"]
    lo, hi = c.get("n_items", [1, 4])
    sep = c.get("separator", ", ")
    return np.array([sep.join(rng.choice(items, rng.integers(lo, hi + 1), replace=False)) for _ in range(n)], dtype=object)


def _text(rng, c: dict, n: int) -> np.ndarray:
    words = c["words"]
    lo, hi = c.get("n_words", [5, 25])
    return np.array([" ".join(rng.choice(words, rng.integers(lo, hi + 1))) for _ in range(n)], dtype=object)


def _pattern(rng, c: dict, n: int) -> np.ndarray:
    parts = c["parts"]  # each part: a list of choices or [low, high] integers given as {"int": [lo, hi]}
    out = []
    for _ in range(n):
        out.append(" ".join(str(rng.integers(p["int"][0], p["int"][1] + 1)) if isinstance(p, dict) else str(rng.choice(p)) for p in parts))
    return np.array(out, dtype=object)


def _dates(rng, c: dict, n: int, test: bool) -> np.ndarray:
    start = pd.Timestamp(c["test_start" if test and "test_start" in c else "start"])
    end = pd.Timestamp(c["test_end" if test and "test_end" in c else "end"])
    days = rng.integers(0, (end - start).days + 1, n)
    return np.array([(start + pd.Timedelta(days=int(d))).strftime(c.get("format", "%Y-%m-%d")) for d in days], dtype=object)


def _synthetic(rng, c: dict, n: int) -> np.ndarray:
    """Strings of a described shape from random letters (and numerals): never a real value."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz" + ("0123456789" if c.get("numerals") else "")))
    lo, hi = c.get("n_tokens", [1, 3])
    tlo, thi = c.get("token_length", [3, 8])

    def token():
        t = "".join(rng.choice(letters, rng.integers(max(1, tlo), max(1, thi) + 1)))
        return t.capitalize() if c.get("capitalized") else t

    return np.array([" ".join(token() for _ in range(rng.integers(max(1, lo), max(1, hi) + 1))) for _ in range(n)], dtype=object)


GENERATORS = {"number": _number, "category": _choice, "multi": _multi, "text": _text, "pattern": _pattern, "synthetic": _synthetic}


def _column(rng, c: dict, n: int, test: bool) -> np.ndarray:
    kind = c.get("kind", "number")
    if kind == "date":
        return _dates(rng, c, n, test)
    if kind not in GENERATORS:
        raise UserError(f"sample.yaml: column '{c.get('name')}' has unknown kind '{kind}'.")
    return GENERATORS[kind](rng, c, n)


def _score(rng, frame: pd.DataFrame, target: dict) -> np.ndarray:
    """Latent score: base + weighted standardised terms + noise."""
    s = np.full(len(frame), float(target.get("base", 0.0)))
    for term in target.get("terms", []):
        col = frame[term["column"]]
        if "contains" in term:
            x = col.fillna("").astype(str).str.lower().str.contains(term["contains"]).to_numpy(float)
        elif term.get("kind") == "count":
            x = col.fillna("").astype(str).map(lambda v: len([t for t in v.split(",") if t.strip()])).to_numpy(float)
            x = (x - x.mean()) / (x.std() or 1.0)
        elif pd.api.types.is_numeric_dtype(col):
            x = col.to_numpy(float)
            if term.get("log"):
                x = np.log1p(np.clip(x, 0, None))
            mu, sd = np.nanmean(x), np.nanstd(x) or 1.0
            x = np.nan_to_num((x - mu) / sd)
        else:
            levels = sorted(col.dropna().astype(str).unique())
            effects = dict(zip(levels, np.random.default_rng(zlib.crc32(term["column"].encode())).normal(0, 1, len(levels))))
            x = col.astype(str).map(effects).fillna(0.0).to_numpy(float)
        s += term["weight"] * x
    return s + rng.normal(0, target.get("noise", 0.1), len(frame))


def generate_sample(spec: CompetitionSpec, sample_spec: Dict[str, Any], seed: int = 0) -> Dict[str, pd.DataFrame]:
    """train, test and sample_submission frames for a tabular competition."""
    rng = np.random.default_rng(seed)
    n_train, n_test = int(sample_spec.get("n_train", 500)), int(sample_spec.get("n_test", 200))
    n = n_train + n_test
    cols: List[dict] = sample_spec["columns"]
    frame = pd.DataFrame(index=range(n))
    is_test = np.arange(n) >= n_train
    for c in cols:
        name, kind = c["name"], c.get("kind", "number")
        if name == spec.id or name in spec.targets or kind in ("from_target", "target"):
            continue
        values = np.empty(n, dtype=object)
        values[~is_test] = _column(rng, c, n_train, test=False)
        values[is_test] = _column(rng, c, n_test, test=True)
        frame[name] = pd.Series(values).infer_objects()
    target = sample_spec["target"]
    score = _score(rng, frame, target)
    y = np.exp(score) if target.get("transform") == "exp" else score
    if spec.classification:
        classes = target["classes"]
        y = np.asarray(classes, dtype=object)[np.digitize(score, np.quantile(score, np.linspace(0, 1, len(classes) + 1)[1:-1]))]
    else:
        y = np.round(y, target.get("decimals", 0))
    for c in cols:  # columns that echo the target (a list price, a tax value): the strongest real signals
        if c.get("kind") == "from_target":
            frame[c["name"]] = np.round(np.asarray(y, float) * c.get("factor", 1.0) * np.exp(rng.normal(0, c.get("sd", 0.1), n)),
                                        c.get("decimals", 0))
    for c in cols:  # odd values and missing cells, after the target so they act as real noise
        name = c["name"]
        if name == spec.id or name in spec.targets:
            continue
        for value, rate in (c.get("odd") or {}).items():
            hit = rng.random(n) < rate
            frame.loc[hit, name] = yaml.safe_load(str(value)) if c.get("kind", "number") == "number" else value
        if c.get("missing", 0) > 0:
            frame.loc[rng.random(n) < c["missing"], name] = np.nan
    id_start = int(sample_spec.get("id_start", 1))
    if spec.id:
        frame.insert(0, spec.id, np.arange(id_start, id_start + n))
    order = [c["name"] for c in cols]
    train = frame[~is_test].copy()
    train[spec.targets[0]] = y[~is_test]
    train = train[order].reset_index(drop=True)
    test = frame[is_test][[c for c in order if c not in spec.targets]].reset_index(drop=True)
    return {"train": train, "test": test, "sample_submission": sample_submission(spec, sample_spec, test, target)}


def sample_submission(spec: CompetitionSpec, sample_spec: Dict[str, Any], test: pd.DataFrame, target: dict) -> pd.DataFrame:
    """The sample submission's shape: its id (the test ids, or row numbers from ``submission_id_start``) and columns."""
    sub_id = spec.submission_id
    if spec.id and spec.id in test.columns and sub_id == spec.id:
        ids = test[spec.id].to_numpy()
    else:
        start = int(sample_spec.get("submission_id_start", 1))
        ids = np.arange(start, start + len(test))
    columns = sample_spec.get("submission_columns") or spec.submission.columns or spec.targets
    return pd.DataFrame({sub_id: ids, **{c: target.get("submission_fill", 0) for c in columns}})


def write_sample(spec: CompetitionSpec, folder: Path, seed: int = 0) -> Path:
    """Generate the sample and write it in Kaggle's layout into ``folder``."""
    sample_spec = load_sample_spec(spec)
    frames = generate_sample(spec, sample_spec, seed)
    folder.mkdir(parents=True, exist_ok=True)
    for key, df in frames.items():
        atomic_write_text(folder / getattr(spec.files, key), df.to_csv(index=False, na_rep=sample_spec.get("na_rep", "")))
    atomic_write_text(folder / "README.md", SAMPLE_NOTE.format(name=spec.name, seed=seed))
    return folder


def _shape_of_text(values: pd.Series) -> Dict[str, Any]:
    """The shape of free strings (names, text, ids): token counts, token lengths, capitals, numerals; no value."""
    text = values.astype(str)
    tokens = text.str.split()
    lengths = tokens.explode().str.len().dropna()
    q = lambda s, a, b: [int(np.quantile(s, a)), max(int(np.quantile(s, a)), int(np.quantile(s, b)))]  # noqa: E731
    return {"kind": "synthetic", "n_tokens": q(tokens.str.len(), 0.05, 0.95), "token_length": q(lengths, 0.05, 0.95),
            "capitalized": bool(text.str.match(r"^[A-Z]").mean() > 0.5), "numerals": bool(text.str.contains(r"\d").mean() > 0.5)}


def describe_columns(train: pd.DataFrame, max_levels: int = 30, min_count: int = 5, seed: int = 0) -> List[dict]:
    """Column entries for a sample.yaml from a real train.csv, carrying no identifying value: numbers as noisy
    quantiles; category levels only where a column has at most ``max_levels`` of them and only those seen at least
    ``min_count`` times; names, free text, ids and other high-cardinality strings as synthetic strings of the
    same shape."""
    rng = np.random.default_rng(seed)
    out = []
    for name in train.columns:
        col = train[name]
        entry: Dict[str, Any] = {"name": name}
        non_null = col.dropna()
        counts = non_null.value_counts()
        common = counts[counts >= min_count]
        if pd.api.types.is_numeric_dtype(col) and non_null.nunique() > max_levels:
            q = np.quantile(non_null, np.linspace(0, 1, 21))
            q = np.sort(q + rng.normal(0, 0.02, len(q)) * (np.ptp(q) or 1.0))  # noisy: no real value survives exactly
            integer = bool(np.allclose(non_null, np.round(non_null)))
            entry.update(kind="number", quantiles=[round(float(v), 3) for v in q], decimals=0 if integer else 2)
        elif len(counts) <= max_levels and len(common) >= 1 and common.sum() >= 0.5 * len(non_null):
            entry["kind"] = "category"
            entry["choices"] = [v.item() if hasattr(v, "item") else v for v in common.index]
            entry["weights"] = [round(float(w), 4) for w in common.values / common.values.sum()]
        elif pd.api.types.is_numeric_dtype(col):
            entry.update(kind="number", dist="uniform", min=float(non_null.min()), max=float(non_null.max()), decimals=0)
        else:
            entry.update(_shape_of_text(non_null))
        if col.isna().any():
            entry["missing"] = round(float(col.isna().mean()), 4)
        out.append(entry)
    return out


def describe_sample(spec: CompetitionSpec, train: pd.DataFrame) -> Dict[str, Any]:
    """A whole sample.yaml from a real train.csv: row counts, each column's marginals and a synthetic target
    that depends on the most target-correlated numeric columns (no real row is copied)."""
    columns = describe_columns(train)
    target = spec.targets[0]
    for entry in columns:
        if entry["name"] == target:
            entry.clear()
            entry.update({"name": target, "kind": "target"})
    numeric = [c for c in train.columns if c not in spec.targets and c != spec.id and pd.api.types.is_numeric_dtype(train[c])]
    y = train[target]
    codes = pd.Series(pd.factorize(y.astype(str), sort=True)[0], index=y.index) if spec.classification else y
    strength = {c: abs(float(np.nan_to_num(train[c].corr(codes.astype(float))))) for c in numeric}
    terms = [{"column": c, "weight": 1.0 if i == 0 else 0.5} for i, c in enumerate(sorted(strength, key=strength.get, reverse=True)[:4])]
    target_spec: Dict[str, Any] = {"base": 0.0, "terms": terms, "noise": 0.3}
    if spec.classification:
        target_spec["classes"] = [v.item() if hasattr(v, "item") else v for v in sorted(y.unique().tolist(), key=str)]
        target_spec["submission_fill"] = 0 if spec.submission.format in ("proba", "class_proba") else target_spec["classes"][0]
    else:
        target_spec.update(base=float(np.log(y.median())) if (y > 0).all() else float(y.mean()), transform="exp"
                           if (y > 0).all() else None)
    out: Dict[str, Any] = {"n_train": min(600, len(train)), "n_test": 200, "columns": columns, "target": target_spec}
    if spec.submission.format == "top_labels":  # "a b c": the sample's cells hold several labels
        k = spec.submission.top or map_k(spec.metric) or 3
        target_spec["submission_fill"] = " ".join(map(str, target_spec["classes"][:k]))
    if spec.submission.format == "class_proba":
        out["submission_columns"] = list(target_spec["classes"])
        target_spec["submission_fill"] = round(1.0 / len(target_spec["classes"]), 4)
    return out
