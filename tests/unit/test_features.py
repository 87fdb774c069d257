"""The shared transform: encodings, alignment, one row per input row in order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predict_fn import features
from predict_fn.features import Encoders


@pytest.fixture(scope="module")
def encoders() -> Encoders:
    return Encoders(
        zip_freq={30301: 5, 98101: 2},
        city_mean={"atlanta-sandy springs-alpharetta": 350_000.0},
        global_mean=400_000.0,
    )


def raw(demo_frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return demo_frame.head(n).reset_index(drop=True)


@pytest.mark.parametrize(
    "spelling",
    [
        "Atlanta-Sandy Springs-Alpharetta",
        "  atlanta - sandy springs \u2013 alpharetta ",
        "ATLANTA\u2014SANDY  SPRINGS\u2010ALPHARETTA",
        "Atlanta\u2212Sandy\tSprings-Alpharetta",
    ],
)
def test_city_spellings_normalise_to_one_key(spelling: str) -> None:
    normalised = features.normalise_city([spelling])
    assert normalised[0] == "atlanta-sandy springs-alpharetta"


def test_unseen_zip_is_zero_and_unseen_city_is_global_mean(demo_frame, encoders) -> None:
    frame = raw(demo_frame, 3).assign(
        zipcode=[30301, 11111, 98101],
        city_full=[
            "Atlanta-Sandy Springs-Alpharetta",
            "Nowhere",
            "atlanta-sandy springs-alpharetta",
        ],
    )
    out = features.transform(frame, encoders)
    assert out[features.ZIP_FREQ].tolist() == [5.0, 0.0, 2.0]
    assert out[features.CITY_TE].tolist() == [350_000.0, 400_000.0, 350_000.0]


def test_date_parts_and_no_leakage(demo_frame, encoders) -> None:
    frame = raw(demo_frame, 2).assign(date=["2019-02-28", "2023-12-31"])
    out = features.transform(frame, encoders)
    assert out[["year", "quarter", "month"]].to_numpy().tolist() == [[2019, 1, 2], [2023, 4, 12]]
    for leaked in ("median_sale_price", "price", "zipcode", "city_full", "date", "city"):
        assert leaked not in out.columns


def test_one_row_per_input_in_order_with_duplicates(demo_frame, encoders) -> None:
    frame = pd.concat([raw(demo_frame, 4)] * 2, ignore_index=True).iloc[::-1]
    out = features.transform(frame, encoders)
    assert len(out) == len(frame)
    np.testing.assert_array_equal(out["median_list_price"], frame["median_list_price"])


def test_columns_follow_the_schema_order(demo_frame, encoders) -> None:
    schema = ["month", features.CITY_TE, "total_population", "year"]
    frame = raw(demo_frame, 2)
    out = features.matrix(frame, encoders, schema)
    expected = features.transform(frame, encoders)[schema].to_numpy()
    np.testing.assert_array_equal(out, expected)


def test_schema_asking_for_unknown_feature_fails_loudly(demo_frame, encoders) -> None:
    with pytest.raises(KeyError, match="not_a_feature"):
        features.matrix(raw(demo_frame, 1), encoders, ["year", "not_a_feature"])


def test_missing_numeric_input_becomes_nan(demo_frame, encoders) -> None:
    frame = raw(demo_frame, 2).drop(columns=["Median Rent"])
    out = features.transform(frame, encoders)
    assert out["median_rent"].isna().all()


def test_fit_encoders_smooths_towards_global_mean() -> None:
    train = pd.DataFrame(
        {
            "zipcode": [1, 1, 2],
            "city_full": ["A", "a ", "B"],
            "price": [100.0, 300.0, 500.0],
        }
    )
    enc = features.fit_encoders(train)
    assert enc.zip_freq == {1: 2, 2: 1}
    assert enc.global_mean == 300.0
    m = features.TARGET_SMOOTHING
    assert enc.city_mean["a"] == pytest.approx((400 + m * 300) / (2 + m))
    assert enc.city_mean["b"] == pytest.approx((500 + m * 300) / (1 + m))


def test_encoders_round_trip_through_plain_artifacts(encoders) -> None:
    again = Encoders.from_artifacts(encoders.freq_artifact(), encoders.target_artifact())
    assert again == encoders
    assert type(encoders.freq_artifact()) is dict
