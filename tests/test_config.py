import pytest

from kagglekit.core.config import config_hash, parse_overrides
from kagglekit.tasks import load_config
from kagglekit.core.errors import UserError


def test_layers_and_overrides():
    run = load_config("house-prices", "lasso", ["model.params.alpha=0.01", "seed=7", "folds=3"])
    assert run.model.name == "lasso"
    assert run.model.params["alpha"] == 0.01  # command line beats configs/house-prices/lasso.yaml
    assert run.target_transform == "log1p"  # from configs/house-prices/defaults.yaml
    assert run.cv.scheme == "stratified" and run.cv.n_splits == 3 and run.seed == 7
    assert run.model.params["max_iter"] == 50000  # model dataclass default


def test_unknown_key_names_the_key_and_source():
    with pytest.raises(UserError, match=r"command line: unknown key 'cv.n_split'"):
        load_config("house-prices", "lasso", ["cv.n_split=3"])
    with pytest.raises(UserError, match=r"command line: unknown key 'model.params.lerning_rate' for model lightgbm"):
        load_config("house-prices", "lightgbm", ["model.params.lerning_rate=0.1"])


def test_bad_values_are_rejected():
    with pytest.raises(UserError, match="cv.scheme"):
        load_config("house-prices", "lasso", ["cv.scheme=random"])
    with pytest.raises(UserError, match="n_splits"):
        load_config("house-prices", "lasso", ["cv.n_splits=abc"])
    with pytest.raises(UserError, match="at least 2"):
        load_config("house-prices", "lasso", ["cv.n_splits=1"])


def test_unknown_model_lists_choices():
    with pytest.raises(UserError, match=r"unknown model 'xgboostx'.*lightgbm"):
        load_config("house-prices", "xgboostx")


def test_registered_model_without_config_file_uses_its_defaults():
    run = load_config("house-prices", "extra_trees")
    assert run.model.name == "extra_trees" and run.model.params["n_estimators"] == 500


def test_a_variant_is_its_base_model_with_other_defaults_that_a_config_can_still_set():
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    run = load_config("credit", "lightgbm_large", ["model.params.min_child_samples=7"])
    assert run.model.params["num_leaves"] == 127 and run.model.params["colsample_bytree"] == 0.9
    assert run.model.params["min_child_samples"] == 7  # the command line beats the variant's default
    assert load_config("credit", "lightgbm").model.params["num_leaves"] == 15  # the base keeps its own
    booster = build_model("lightgbm_xt", {}, "binary", 0, SpeedConfig(threads=1))
    assert booster.p.extra == {"extra_trees": True} and booster.p.colsample_bytree == 0.6
    assert config_hash(load_config("credit", "lightgbm_xt"), "d") != config_hash(load_config("credit", "lightgbm"), "d")


def test_hash_changes_with_config_and_data_only():
    a = load_config("house-prices", "lasso")
    b = load_config("house-prices", "lasso", ["data_dir=/elsewhere"])
    c = load_config("house-prices", "lasso", ["model.params.alpha=0.5"])
    assert config_hash(a, "d1") == config_hash(b, "d1")  # where the data lies does not matter
    assert config_hash(a, "d1") != config_hash(a, "d2")
    assert config_hash(a, "d1") != config_hash(c, "d1")


def test_parse_overrides_types():
    assert parse_overrides(["a.b=1", "c=[1, 2]", "d=null", "e=text"]) == {"a": {"b": 1}, "c": [1, 2], "d": None, "e": "text"}
    # as OmegaConf reads a dotlist: 1e-3 is a number (plain YAML 1.1 would keep it as text)
    assert parse_overrides(["lr=1e-3", "f=[0.5, sqrt]", "g=a:b"]) == {"lr": 0.001, "f": [0.5, "sqrt"], "g": "a:b"}
    with pytest.raises(UserError, match="key=value"):
        parse_overrides(["oops"])
