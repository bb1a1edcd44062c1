"""Every test writes data/, runs/ and submissions/ under its own temporary folder."""

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")

# Small, quick model settings for tests (real configs stay untouched).
FAST = {
    "lightgbm": ["model.params.n_estimators=150", "model.params.learning_rate=0.08"],
    "gbrt": ["model.params.n_estimators=100", "model.params.learning_rate=0.1"],
    "random_forest": ["model.params.n_estimators=60"],
    "mlp": ["model.params.max_epochs=40", "model.params.patience=10", "model.params.progress=false"],
    "tabm": ["model.params.n_epochs=8", "folds=2"],  # pytabkit's TabM: each fit pays the library's start-up
}


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """A private copy of configs/ (tuning writes <model>-tuned.yaml there)."""
    import shutil

    from kagglekit.core.paths import ROOT

    dest = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", dest)
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(dest))
    return dest
