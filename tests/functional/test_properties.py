"""Issue 6 property tests: any body gets a JSON 2xx/4xx; valid batches one prediction each."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import http_event

from predict_fn.contract import FRACTION_FIELDS, LABEL, NUMERIC_FIELDS

SETTINGS = settings(
    max_examples=150,
    deadline=None,  # timings belong in bench/, not in pass/fail tests
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)

CITIES = ["Atlanta-Sandy Springs-Alpharetta", "seattle - tacoma - bellevue", "Nowhere Metro"]


def number(name: str) -> st.SearchStrategy[Any]:
    lower = 1 if name == LABEL else 0
    upper = 1 if name in FRACTION_FIELDS else 10**7
    return st.none() | st.integers(lower, upper) | st.floats(lower, upper, allow_nan=False)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    date = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
    record: dict[str, Any] = {
        "date": date.isoformat(),
        "zipcode": draw(st.integers(0, 99999) | st.from_regex(r"\A[0-9]{5}\Z")),
        "city_full": draw(st.sampled_from(CITIES)),
    }
    for name in draw(st.lists(st.sampled_from(NUMERIC_FIELDS), unique=True, max_size=12)):
        record[name] = draw(number(name))
    return record


@SETTINGS
@given(body=json_values)
def test_any_json_body_gets_a_json_2xx_or_4xx(warm_app, lambda_context, body) -> None:
    response = warm_app.lambda_handler(http_event("POST", "/predict", body), lambda_context)
    assert 200 <= response["statusCode"] < 500
    assert isinstance(json.loads(response["body"]), dict)


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_body_gets_a_json_2xx_or_4xx(warm_app, lambda_context, text) -> None:
    response = warm_app.lambda_handler(
        http_event("POST", "/predict", raw_body=text), lambda_context
    )
    assert 400 <= response["statusCode"] < 500
    assert "errors" in json.loads(response["body"])


@SETTINGS
@given(batch=st.lists(records(), min_size=1, max_size=30), data=st.data())
def test_valid_batch_one_finite_prediction_per_record_independent_of_company(
    warm_app, lambda_context, batch, data
) -> None:
    def served(items: list[dict[str, Any]]) -> list[float]:
        event = http_event("POST", "/predict", {"records": items})
        response = warm_app.lambda_handler(event, lambda_context)
        assert response["statusCode"] == 200, response["body"]
        body = json.loads(response["body"])
        assert body["count"] == len(items) == len(body["predictions"])
        return body["predictions"]

    together = served(batch)
    assert all(isinstance(p, float) and math.isfinite(p) for p in together)
    alone = [served([record])[0] for record in batch]
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
    order = data.draw(st.permutations(range(len(batch))))
    shuffled = served([batch[i] for i in order])
    np.testing.assert_allclose(shuffled, [together[i] for i in order], rtol=0, atol=1e-9)
