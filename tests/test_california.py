"""California house prices: the real 41-column schema, messy values, and a time-ordered split."""

import numpy as np
import pandas as pd

from kagglekit.core.competition import feature_function, load_competition
from kagglekit.core.files import sample_dir
from kagglekit.tasks import load_config
from kagglekit.tabular.data import load_table_data
from kagglekit.tabular.sample import write_sample
from kagglekit.pipeline import train

REAL_COLUMNS = ["Id", "Address", "Sold Price", "Summary", "Type", "Year built", "Heating", "Cooling", "Parking", "Lot",
                "Bedrooms", "Bathrooms", "Full bathrooms", "Total interior livable area", "Total spaces",
                "Garage spaces", "Region", "Elementary School", "Elementary School Score",
                "Elementary School Distance", "Middle School", "Middle School Score", "Middle School Distance",
                "High School", "High School Score", "High School Distance", "Flooring", "Heating features",
                "Cooling features", "Appliances included", "Laundry features", "Parking features",
                "Tax assessed value", "Annual tax amount", "Listed On", "Listed Price", "Last Sold On",
                "Last Sold Price", "City", "Zip", "State"]


def test_sample_has_the_real_schema_and_its_oddities(workdir):
    spec = load_competition("california")
    folder = write_sample(spec, sample_dir("california"))
    data = load_table_data(spec, load_config("california", "lightgbm", [f"data_dir={folder}", "features=false"]))
    assert list(data.train.columns) == REAL_COLUMNS
    assert list(data.test.columns) == [c for c in REAL_COLUMNS if c != "Sold Price"]
    assert list(data.sample_submission.columns) == ["Id", "Sold Price"]
    assert data.test["Id"].astype(int).min() == data.train["Id"].astype(int).max() + 1  # ids are read as text
    # The literal "None" (no cooling) survives reading; empty cells are missing.
    assert (data.train["Cooling"] == "None").any() and data.train["Cooling"].isna().any()
    assert data.train["Bedrooms"].astype(str).str.contains(",").any()  # lists stored in a count column
    assert data.train["Appliances included"].str.contains(", ").any()
    assert (data.train["Year built"] == 9999).any() or (data.train["Year built"] == 0).any()
    # Test houses were listed after every training house.
    assert pd.to_datetime(data.test["Listed On"]).min() > pd.to_datetime(data.train["Listed On"]).max()


def test_features_clean_messy_values():
    add = feature_function(load_competition("california"))
    df = pd.DataFrame({
        "Bedrooms": ["3", "Ground Floor Bedroom, Master Bedroom on Ground Floor", None],
        "Year built": [1969.0, 9999.0, 0.0], "Total spaces": [2.0, -15.0, 1000.0], "Garage spaces": [1.0, 0, 2],
        "Lot": [5000.0, 0.0, 1e4], "Total interior livable area": [1500.0, 1.0, 900.0],
        "Listed Price": [1e6, 0.0, 5e5], "Last Sold Price": [8e5, np.nan, 0.0],
        "Tax assessed value": [5e5, 0.0, 1e5], "Annual tax amount": [6000.0, 0.0, 100.0],
        "Listed On": ["2020-01-01", "2020-02-01", "2020-03-01"], "Last Sold On": ["2010-01-01", None, "2019-03-01"],
        "Summary": ["nice", None, "x"],
    })
    out = add(df)
    assert out["Bedrooms"].tolist()[:2] == [3.0, 2.0] and np.isnan(out["Bedrooms"][2])
    assert out["Year built"].isna().tolist() == [False, True, True]
    assert out["Total spaces"].isna().tolist() == [False, True, True]
    assert np.isnan(out["Listed Price"][1]) and np.isnan(out["Total interior livable area"][1])
    assert abs(out["Years since last sale"][0] - 10.0) < 0.01


def test_models_learn_on_time_blocks(workdir):
    quiet = dict(progress=False, log=lambda *a: None)
    res = train("california", "lightgbm", ["data=sample", "model.params.n_estimators=200", "model.params.learning_rate=0.05"], **quiet)
    y = np.log(pd.read_csv(workdir / "data/samples/california/train.csv")["Sold Price"])
    assert res.record["cv_mean"] < 0.5 * y.std()
    folds = pd.read_csv(res.run_dir / "folds.csv")
    listed = pd.to_datetime(pd.read_csv(workdir / "data/samples/california/train.csv")["Listed On"])
    assert listed[folds["fold"] == 0].max() <= listed[folds["fold"] == 1].min()  # time blocks
    sub = pd.read_csv(res.submission)
    assert list(sub.columns) == ["Id", "Sold Price"] and len(sub) == 300 and (sub["Sold Price"] > 0).all()
    ridge = train("california", "ridge", ["data=sample"], **quiet)  # text, lists, dates, target encoding
    assert ridge.record["cv_mean"] < 0.5 * y.std()
