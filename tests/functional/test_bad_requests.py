"""Acceptance 2.3: bad requests get a 4xx JSON error naming record and field; never a 5xx."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support import http_event

from predict_fn.contract import MAX_PROBLEMS, clip

GOOD = {
    "date": "2023-06-30",
    "zipcode": 30301,
    "city_full": "Atlanta-Sandy Springs-Alpharetta",
    "city": "ATL",
    "median_list_price": 350000.0,
    "homes_sold": 12,
    "Total Population": 21000,
}


def rec(**changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(GOOD)
    for key, value in changes.items():
        name = key.replace("__", " ")
        if value is DROP:
            record.pop(name)
        else:
            record[name] = value
    return record


DROP = object()
BIG = "x" * 1_000_000

# (id, body as raw text, expected status, expected (record, field) named in errors or None)
CASES: list[tuple[str, str, int, tuple[int | None, str | None] | None]] = [
    ("not json", "{records: [}", 400, (None, "body")),
    ("empty body", "", 400, (None, "body")),
    ("json string", '"records"', 400, (None, "body")),
    ("json array", "[1, 2]", 400, (None, "body")),
    ("json null", "null", 400, (None, "body")),
    ("NaN literal", '{"records": [{"bank": NaN}]}', 422, (0, "bank")),
    ("Infinity literal", '{"records": [{"bank": Infinity}]}', 422, (0, "bank")),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, 400, (None, "body")),
    ("records missing", "{}", 400, (None, "records")),
    ("records not list", '{"records": {"a": 1}}', 400, (None, "records")),
    ("records string", '{"records": "abc"}', 400, (None, "records")),
    ("records empty", '{"records": []}', 422, (None, "records")),
    ("unknown top-level", json.dumps({"records": [GOOD], "extra": 1}), 400, (None, "extra")),
    ("too many", json.dumps({"records": [GOOD] * 1001}), 413, (None, "records")),
    ("record is number", json.dumps({"records": [GOOD, 5]}), 422, (1, None)),
    ("record is list", json.dumps({"records": [[1, 2]]}), 422, (0, None)),
    ("record null", json.dumps({"records": [None]}), 422, (0, None)),
    ("missing date", json.dumps({"records": [rec(date=DROP)]}), 422, (0, "date")),
    ("missing zipcode", json.dumps({"records": [rec(zipcode=DROP)]}), 422, (0, "zipcode")),
    ("missing city_full", json.dumps({"records": [rec(city_full=DROP)]}), 422, (0, "city_full")),
    ("unknown field", json.dumps({"records": [rec(bedrooms=3)]}), 422, (0, "bedrooms")),
    ("impossible date", json.dumps({"records": [rec(date="2023-02-30")]}), 422, (0, "date")),
    ("month 13", json.dumps({"records": [rec(date="2023-13-01")]}), 422, (0, "date")),
    ("date wrong format", json.dumps({"records": [rec(date="06/30/2023")]}), 422, (0, "date")),
    ("date number", json.dumps({"records": [rec(date=20230630)]}), 422, (0, "date")),
    ("date year 1066", json.dumps({"records": [rec(date="1066-10-14")]}), 422, (0, "date")),
    ("zipcode bool", json.dumps({"records": [rec(zipcode=True)]}), 422, (0, "zipcode")),
    ("zipcode float", json.dumps({"records": [rec(zipcode=30301.5)]}), 422, (0, "zipcode")),
    ("zipcode too big", json.dumps({"records": [rec(zipcode=123456)]}), 422, (0, "zipcode")),
    ("zipcode letters", json.dumps({"records": [rec(zipcode="3O3O1")]}), 422, (0, "zipcode")),
    (
        "zipcode arabic digits",
        json.dumps({"records": [rec(zipcode="\u0663\u0660\u0663")]}),
        422,
        (0, "zipcode"),
    ),
    (
        "zipcode fullwidth",
        json.dumps({"records": [rec(zipcode="\uff13\uff10")]}),
        422,
        (0, "zipcode"),
    ),
    ("city_full number", json.dumps({"records": [rec(city_full=7)]}), 422, (0, "city_full")),
    ("city_full blank", json.dumps({"records": [rec(city_full="   ")]}), 422, (0, "city_full")),
    ("city_full 1MB", json.dumps({"records": [rec(city_full=BIG)]}), 422, (0, "city_full")),
    ("unknown 1MB name", json.dumps({"records": [{**GOOD, BIG: 1}]}), 422, (0, clip(BIG))),
    ("bool as number", json.dumps({"records": [rec(homes_sold=True)]}), 422, (0, "homes_sold")),
    ("string as number", json.dumps({"records": [rec(homes_sold="12")]}), 422, (0, "homes_sold")),
    ("negative count", json.dumps({"records": [rec(homes_sold=-1)]}), 422, (0, "homes_sold")),
    ("huge number", json.dumps({"records": [rec(homes_sold=1e300)]}), 422, (0, "homes_sold")),
    (
        "fraction > 1",
        json.dumps({"records": [rec(sold_above_list=1.5)]}),
        422,
        (0, "sold_above_list"),
    ),
    ("nested junk", json.dumps({"records": [rec(bank={"a": [1, {"b": None}]})]}), 422, (0, "bank")),
    ("list as number", json.dumps({"records": [rec(park=[1])]}), 422, (0, "park")),
    (
        "spaced name",
        json.dumps({"records": [rec(Total__Population="many")]}),
        422,
        (0, "Total Population"),
    ),
    ("year mismatch", json.dumps({"records": [rec(year=2019)]}), 422, (0, "year")),
    ("year fraction", json.dumps({"records": [rec(year=2023.5)]}), 422, (0, "year")),
    ("price string", json.dumps({"records": [rec(price="1")]}), 422, (0, "price")),
    ("price zero", json.dumps({"records": [rec(price=0)]}), 422, (0, "price")),
    ("price below a dollar", json.dumps({"records": [rec(price=1e-300)]}), 422, (0, "price")),
    ("bad second record", json.dumps({"records": [GOOD, rec(date="x")]}), 422, (1, "date")),
]


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("body", "status", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_request(warm_app, invoke, body: str, status: int, named) -> None:
    got_status, payload = invoke(warm_app, http_event("POST", "/predict", raw_body=body))
    assert got_status == status
    assert "Traceback" not in json.dumps(payload)
    assert payload["request_id"] == "req-1"
    assert isinstance(payload["message"], str) and payload["message"]
    pairs = {(e["record"], e["field"]) for e in payload["errors"]}
    assert named in pairs
    assert all(set(e) == {"record", "field", "problem"} for e in payload["errors"])


def test_every_problem_of_every_record_is_listed(warm_app, invoke) -> None:
    body = {"records": [rec(date="2023-02-30", homes_sold=True), GOOD, rec(bank=-3, extra=1)]}
    status, payload = invoke(warm_app, http_event("POST", "/predict", body))
    assert status == 422
    assert {(e["record"], e["field"]) for e in payload["errors"]} == {
        (0, "date"),
        (0, "homes_sold"),
        (2, "bank"),
        (2, "extra"),
    }


def test_problem_list_is_capped_but_counted(warm_app, invoke) -> None:
    body = {"records": [rec(**{f"junk{i}": 1 for i in range(60)}) for _ in range(20)]}
    status, payload = invoke(warm_app, http_event("POST", "/predict", body))
    assert status == 422
    assert len(payload["errors"]) == MAX_PROBLEMS
    assert payload["omitted"] == 1200 - MAX_PROBLEMS
    assert payload["message"].endswith(f"1200 problems, first {MAX_PROBLEMS} listed")


def test_bad_base64_body(warm_app, invoke) -> None:
    event = http_event("POST", "/predict", raw_body="not base64 at all!!")
    event["isBase64Encoded"] = True
    status, payload = invoke(warm_app, event)
    assert status == 400
    assert payload["errors"][0]["field"] == "body"


def test_non_utf8_body(warm_app, invoke) -> None:
    status, payload = invoke(warm_app, http_event("POST", "/predict", raw_body=b"\xff\xfe{}"))
    assert status == 400
    assert payload["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/predict"),
        ("DELETE", "/predict"),
        ("POST", "/health"),
        ("GET", "/nope"),
        ("POST", "/predict/extra"),
    ],
)
def test_routing_errors(warm_app, invoke, method: str, path: str) -> None:
    """API Gateway answers these itself; a direct invoke gets the function's own 404."""
    got, payload = invoke(warm_app, http_event(method, path, raw_body="{}"))
    assert got == 404
    assert payload["message"] == "Not Found"
    assert [(e["record"], e["field"]) for e in payload["errors"]] == [(None, "path")]


def test_whole_numbers_written_as_decimals_are_accepted(warm_app, invoke) -> None:
    body = {"records": [GOOD, rec(zipcode=30301.0, year=2023.0), rec(zipcode="30301")]}
    status, payload = invoke(warm_app, http_event("POST", "/predict", body))
    assert status == 200, payload
    assert len(set(payload["predictions"])) == 1, "all three spell the same record"
