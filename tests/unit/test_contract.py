"""predict_fn.contract as pure functions: the envelope, the columns, and the error bound."""

from __future__ import annotations

import json

import numpy as np
import pytest

from predict_fn.contract import (
    ECHO_MAX,
    MAX_PROBLEMS,
    Problem,
    RequestError,
    explain_from_body,
    records_from_body,
    to_columns,
)

RECORD = {"date": "2023-06-30T00:00:00Z", "zipcode": "02139", "city_full": "Boston", "bank": None}


def test_records_become_columns_like_a_csv_read() -> None:
    columns = to_columns([RECORD, {**RECORD, "bank": 3}])
    assert columns["date"] == ["2023-06-30", "2023-06-30"]  # a midnight timestamp is its date
    assert columns["zipcode"].tolist() == [2139, 2139]
    assert np.isnan(columns["bank"][0]) and columns["bank"][1] == 3.0


@pytest.mark.parametrize(
    ("body", "status"),
    [([], 400), ({"records": {}}, 400), ({"records": []}, 422), ({"records": [{}] * 3}, 413)],
)
def test_the_envelope(body: object, status: int) -> None:
    with pytest.raises(RequestError) as caught:
        records_from_body(body, max_records=2)
    assert caught.value.status == status


@pytest.mark.parametrize(
    ("body", "count", "explain"),
    [({}, 5, False), ({"explain": False}, 5, False), ({"explain": True}, 2, True)],
)
def test_explain_is_an_optional_boolean(body: dict, count: int, explain: bool) -> None:
    assert records_from_body({"records": [{}], **body}, max_records=2) == [{}]
    assert explain_from_body(body, count, max_explain_records=2) is explain


@pytest.mark.parametrize(
    ("value", "count", "status", "field"),
    [
        ("true", 1, 400, "explain"),
        (1, 1, 400, "explain"),
        (None, 1, 400, "explain"),
        (True, 3, 413, "records"),
    ],
)
def test_explain_refused(value: object, count: int, status: int, field: str) -> None:
    with pytest.raises(RequestError) as caught:
        explain_from_body({"explain": value}, count, max_explain_records=2)
    assert caught.value.status == status
    assert [p.field for p in caught.value.problems] == [field]
    if status == 413:
        assert "3 > 2" in caught.value.message
        assert "at most 2 records" in caught.value.problems[0].problem


def test_an_error_lists_at_most_max_problems_and_counts_the_rest() -> None:
    error = RequestError(422, "bad", (Problem(i, "x" * 1000, "p") for i in range(10_000)))
    body = error.body("req")
    assert len(body["errors"]) == MAX_PROBLEMS
    assert body["omitted"] == 10_000 - MAX_PROBLEMS
    assert "10000 problems" in body["message"]
    assert all(len(e["field"]) <= ECHO_MAX for e in body["errors"])
    assert len(json.dumps(body)) < 256 * 1024
