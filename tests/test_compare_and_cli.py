import pandas as pd

from kagglekit.commands import args_from_makeflags, main
from kagglekit.comparison import compare
from kagglekit.pipeline import train


def test_compare_lists_every_run_best_first(workdir, capsys):
    quiet = dict(progress=False, log=lambda *a: None)
    runs = [train("house-prices", m, ["data=sample"] + extra, **quiet)
            for m, extra in [("lasso", []), ("ridge", []), ("lightgbm", ["model.params.n_estimators=60"])]]
    df, csv_path, png_path = compare("house-prices")
    assert len(df) == 3 and set(df["run_id"]) == {r.record["run_id"] for r in runs}
    assert list(df["cv_mean"]) == sorted(df["cv_mean"])  # RMSE: lower is better, best first
    assert pd.read_csv(csv_path).shape[0] == 3
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["compare", "comp=house-prices"]) == 0
    out = capsys.readouterr().out
    assert "lasso" in out and "ridge" in out and "lightgbm" in out
    assert df.attrs["greater_is_better"] is False and "fold_scores" not in pd.read_csv(csv_path).columns
    for run in runs:  # every table run leaves its own pictures: importance (lasso's |coef|, LightGBM's gain), residuals
        for png in ("feature_importance.png", "oof_residuals.png"):
            assert (run.run_dir / png).read_bytes()[:4] == b"\x89PNG"
    importance = pd.read_csv(runs[2].run_dir / "feature_importance.csv")
    assert importance["mean"].is_monotonic_decreasing and abs(importance["mean"].sum() - 1) < 0.05
    # the sample's price is driven by its living area and quality (sample.yaml): a tree model finds them near the top
    assert {"GrLivArea", "OverallQual"} & set(importance["feature"].head(5).str.replace(r"^\w+__", "", regex=True))


def test_compare_without_runs_says_what_to_do(workdir, capsys):
    assert main(["compare", "comp=house-prices"]) == 2
    assert "make train comp=house-prices" in capsys.readouterr().err


def test_make_arguments_survive_spaces_and_symbols():
    flags = r" -- runs=a\ b fit_filter=GrLivArea\ >\ 4000 comp=house-prices"
    assert args_from_makeflags(flags) == ["runs=a b", "fit_filter=GrLivArea > 4000", "comp=house-prices"]
    assert args_from_makeflags("s -j2") == []
    # What make 4 puts in MAKEFLAGS for `make train 'data_dir=/x/a$b c'`: `$` doubled, the space escaped.
    assert args_from_makeflags(" -- data_dir=/x/a$$b\\ c") == ["data_dir=/x/a$b c"]


def test_sample_command_writes_kaggle_layout(workdir):
    assert main(["sample", "comp=house-prices"]) == 0
    folder = workdir / "data/samples/house-prices"
    train_df, test_df = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    assert list(train_df.columns)[0] == "Id" and list(train_df.columns)[-1] == "SalePrice"
    assert list(test_df.columns) == list(train_df.columns)[:-1]
    assert train_df.isna().any().sum() > 5  # realistic missing values
    assert "NA" in (folder / "train.csv").read_text()  # written the way Kaggle's Ames files are


def test_compare_can_show_one_data_set(workdir, capsys):
    from kagglekit.tabular.sample import write_sample
    from kagglekit.core.competition import load_competition

    quiet = dict(progress=False, log=lambda *a: None)
    train("house-prices", "lasso", ["data=sample"], **quiet)
    other = write_sample(load_competition("house-prices"), workdir / "other", seed=5)
    train("house-prices", "ridge", [f"data_dir={other}"], **quiet)
    assert set(compare("house-prices")[0]["data"]) == {"sample", "other"}
    assert list(compare("house-prices", data_label="sample")[0]["config"]) == ["lasso"]
    assert main(["compare", "comp=house-prices", f"data_dir={other}"]) == 0
    out = capsys.readouterr().out
    assert "ridge" in out and "lasso" not in out
