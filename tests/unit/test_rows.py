"""predict_fn.rows: the column-wise check agrees with the contract judging each row alone."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predict_fn import contract, rows
from predict_fn.contract import CITY, CITY_FULL, DATE, NUMERIC_FIELDS, YEAR, ZIPCODE

GOOD = {
    DATE: "2021-03-31",
    ZIPCODE: "2139",
    CITY_FULL: "Boston-Cambridge-Newton",
    CITY: "BOS",
    YEAR: "2021",
    "median_list_price": "512000.5",
    "median_dom": "21",
    "sold_above_list": "0.25",
}
# Cells a CSV may hold for each kind of field: valid, missing, and wrong in every way
# the two paths could read differently.
NUMBERS = st.sampled_from(
    [
        *("", "0", "21", "512000.5", "1e5", "1E+05", " 12 ", "+.5", "5.", "-3", "0.25", "2e-3"),
        *("abc", "inf", "-inf", "nan", "NaN", "1_000", "1e", "+", ".", "0x10", "1,5", "1e999"),
        "\uff11\uff12",  # fullwidth digits: float() reads them, a CSV number they are not
    ]
)
ZIPCODES = st.sampled_from(
    ["2139", "02139", "99999", "2139.0", "0", "", "100000", "2139.5", "-1", "ab12", " 2139", "1e3"]
)
DATES = st.sampled_from(
    [
        *("2021-03-31", "2020-02-29", "2021-02-29", "2021-3-31", "", "1899-12-31", "2101-01-01"),
        *("2021-03-31T00:00:00", "2021-03-31 00:00:00Z", "2021-03-31T12:00:00", "31/03/2021"),
        "NaT",
    ]
)
YEARS = st.sampled_from(["2021", "", "2021.0", "2020", "two", "2021.5"])
CITIES = st.sampled_from(
    ["Boston-Cambridge-Newton", "", "   ", "x" * 257, "Z\u00fcrich \u2013 Nord"]
)
CELLS: dict[str, st.SearchStrategy[str]] = {
    DATE: DATES,
    ZIPCODE: ZIPCODES,
    CITY_FULL: CITIES,
    CITY: CITIES,
    YEAR: YEARS,
    "median_list_price": NUMBERS,
    "median_dom": NUMBERS,
    "sold_above_list": NUMBERS,
}


def row_verdict(row: dict[str, str]) -> set[str]:
    """The contract's verdict on one row, as the fields it names."""
    return {field for field, _ in contract.field_problems(rows.to_record(row))}


def table_of(batch: list[dict[str, str]]) -> dict[str, list[str]]:
    return {name: [row[name] for row in batch] for name in batch[0]}


def pandas_table(batch: list[dict[str, str]]) -> dict[str, Any]:
    """The same rows as `make batch` reads them: numbers by pandas' C parser, text as text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(batch[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(batch)
    text = [n for n in batch[0] if n not in rows.NUMBER_FIELDS or n == ZIPCODE]
    frame = pd.read_csv(
        io.StringIO(out.getvalue()),
        keep_default_na=False,
        na_values=[""],
        dtype=dict.fromkeys(text, str),
    )
    return {name: frame[name].to_numpy() for name in frame.columns}


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, str]]:
    count = draw(st.integers(1, 12))
    mutated = draw(st.lists(st.sampled_from(sorted(CELLS)), max_size=3))
    batch = []
    for _ in range(count):
        row = dict(GOOD)
        for name in mutated:
            row[name] = draw(CELLS[name])
        batch.append(row)
    return batch


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.booleans())
def test_the_column_check_agrees_with_the_contract_row_by_row(
    batch: list[dict[str, str]], through_pandas: bool
) -> None:
    table = pandas_table(batch) if through_pandas else table_of(batch)
    checked = rows.check(table, len(batch))
    for position, row in enumerate(batch):
        expected = row_verdict(row)
        if expected:
            assert position in checked.errors, (row, expected)
            named = {part.split(":")[0] for part in checked.errors[position].split("; ")}
            assert named == expected
        else:
            assert position not in checked.errors, checked.errors.get(position)
    assert sorted(checked.scored.tolist()) == [i for i, r in enumerate(batch) if not row_verdict(r)]
    if len(checked.scored):
        expected_columns = contract.to_columns(
            [rows.to_record(batch[i]) for i in checked.scored.tolist()]
        )
        assert list(np.asarray(checked.columns[DATE], dtype="datetime64[D]").astype(str)) == [
            d[:10] for d in expected_columns[DATE]
        ]
        np.testing.assert_array_equal(checked.columns[ZIPCODE], expected_columns[ZIPCODE])
        for name in NUMERIC_FIELDS:
            np.testing.assert_array_equal(checked.columns[name], expected_columns[name])


def test_a_cell_is_a_number_only_in_a_numeric_field() -> None:
    assert rows.to_record({"median_dom": " 21 ", CITY_FULL: "21", DATE: ""}) == {
        "median_dom": 21.0,
        CITY_FULL: "21",
    }
    assert rows.cell_value("median_dom", "twenty") == "twenty"


def test_an_unknown_column_is_the_error_of_each_row_that_fills_it() -> None:
    batch = [dict(GOOD, extra="1"), dict(GOOD, extra="")]  # "" is an absent field
    checked = rows.check(table_of(batch), 2)
    assert checked.errors == {0: "extra: is not a HouseTS field"}
    assert checked.scored.tolist() == [1]


def test_a_missing_required_column_is_every_rows_error() -> None:
    batch = [{k: v for k, v in GOOD.items() if k != DATE}] * 2
    assert rows.check(table_of(batch), 2).errors == {0: "date: is required", 1: "date: is required"}


def test_an_error_cell_lists_at_most_five_problems() -> None:
    problems = [(f"f{i}", "is wrong") for i in range(8)]
    assert rows.describe(problems) == "; ".join(f"f{i}: is wrong" for i in range(5)) + (
        "; and 3 more"
    )


@pytest.mark.parametrize(
    "cells",
    [["1", "", "2"], np.array([1.0, math.nan, 2.0]), np.array(["1", None, "2"], dtype=object)],
    ids=["Distributed Map text", "pandas numbers", "pandas text"],
)
def test_missing_cells_read_alike_from_every_reader(cells: Any) -> None:
    values, readable = rows._numbers(cells)
    np.testing.assert_array_equal(values, [1.0, math.nan, 2.0])
    assert readable.all()
