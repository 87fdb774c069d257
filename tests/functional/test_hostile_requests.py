"""Issue 9: the HTTP contract holds for every request, hostile ones included.

Bad input never gets a 5xx nor raises: it gets a 4xx JSON error of one shape, under
256 KiB whatever the input (up to API Gateway's 10 MB), and a value error names its
record and field. Big bodies are built with json.dumps from repeated parts, so the
whole module runs in seconds.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import http_event, lambda_context

from predict_fn.contract import ECHO_MAX, MAX_PROBLEMS, PROBLEM_MAX, Problem, RequestError

BODY_LIMIT = 256 * 1024  # the bound every error body must stay under
MB = 1024 * 1024
API_LIMIT = 10 * MB  # API Gateway HTTP API's request body quota
ERROR_KEYS = {"message", "errors", "omitted", "request_id"}
ASTRAL = "\U0001f600"  # json.dumps escapes it to 12 bytes, the worst case
GOOD = {
    "date": "2023-06-30",
    "zipcode": 30301,
    "city_full": "Atlanta-Sandy Springs-Alpharetta",
    "median_list_price": 350000.0,
    "homes_sold": 12,
    "year": 2023,
}
HUGE_INT = "9" * 5000  # over Python's 4,300-digit int conversion limit


def with_raw(field: str, token: str, record: int = 0) -> str:
    """A body whose record `record` has `field` spelled as the raw JSON `token`."""
    records = [dict(GOOD) for _ in range(record + 1)]
    records[record][field] = "@TOKEN@"
    return json.dumps({"records": records}).replace('"@TOKEN@"', token)


def body_of(**fields: Any) -> str:
    return json.dumps({"records": [{**GOOD, **fields}]})


def keys_body(make_key: Callable[[int], str], size: int, *, per_record: bool = False) -> str:
    """A body of at most `size` bytes (UTF-8), filled with distinct keys of one length
    (make_key's), at the top level or the same ones in each of 1000 records."""
    per_key = len(json.dumps({make_key(0): 0}, ensure_ascii=False).encode())  # '"k": 0, '
    copies = 1000 if per_record else 1
    room = size - copies * (len(json.dumps(GOOD)) + len(", ")) - 100
    keys = dict.fromkeys(map(make_key, range(room // (copies * per_key))), 0)
    if per_record:
        return json.dumps({"records": [{**GOOD, **keys}] * copies}, ensure_ascii=False)
    return json.dumps({"records": [GOOD], **keys}, ensure_ascii=False)


def pandas_nan_body() -> str:
    """What json.dumps(df.to_dict("records")) sends for a frame with a gap: a NaN token."""
    frame = pd.DataFrame([GOOD, GOOD]).astype({"homes_sold": float})
    frame.loc[1, "homes_sold"] = np.nan
    return json.dumps({"records": frame.to_dict("records")})


@dataclass(frozen=True)
class Case:
    id: str
    body: Callable[[], str | bytes]
    status: int
    named: tuple[int | None, str | None]  # (record, field) some error must name
    says: str = ""  # a phrase that problem must contain
    base64: bool = False  # the body goes as it is, flagged isBase64Encoded


CASES = [
    # Values JSON cannot carry: named by record and field, never "not valid JSON".
    Case("NaN number", lambda: with_raw("bank", "NaN"), 422, (0, "bank"), "send null"),
    Case(
        "Infinity",
        lambda: with_raw("median_list_price", "Infinity"),
        422,
        (0, "median_list_price"),
        "send null",
    ),
    Case("-Infinity", lambda: with_raw("price", "-Infinity", 2), 422, (2, "price"), "send null"),
    Case("pandas NaN", pandas_nan_body, 422, (1, "homes_sold"), "send null"),
    Case("NaN zipcode", lambda: with_raw("zipcode", "NaN"), 422, (0, "zipcode"), "send null"),
    Case("NaN date", lambda: with_raw("date", "NaN"), 422, (0, "date"), "send null"),
    Case("NaN city_full", lambda: with_raw("city_full", "NaN"), 422, (0, "city_full"), "NaN"),
    Case("NaN city", lambda: with_raw("city", "Infinity"), 422, (0, "city"), "Infinity"),
    Case("Infinity year", lambda: with_raw("year", "Infinity"), 422, (0, "year"), "send null"),
    Case("NaN inside a value", lambda: with_raw("bank", "[NaN]"), 422, (0, "bank"), "array"),
    Case("NaN record", lambda: '{"records": [{}, NaN]}', 422, (1, None), "send null"),
    Case("NaN body", lambda: "NaN", 400, (None, "body"), "send null"),
    Case("NaN records", lambda: '{"records": -Infinity}', 400, (None, "records"), "send null"),
    Case(
        "huge int", lambda: with_raw("homes_sold", HUGE_INT), 422, (0, "homes_sold"), "5000 digits"
    ),
    Case(
        "huge int zipcode",
        lambda: with_raw("zipcode", "-" + HUGE_INT),
        422,
        (0, "zipcode"),
        "5000 digits",
    ),
    Case("huge int year", lambda: with_raw("year", HUGE_INT), 422, (0, "year"), "digits"),
    Case("huge int record", lambda: f'{{"records": [{HUGE_INT}]}}', 422, (0, None), "digits"),
    Case("huge int body", lambda: HUGE_INT, 400, (None, "body"), "digits"),
    Case(
        "huge int, then bad JSON",
        lambda: f'{{"records": [{HUGE_INT}, ]}}',
        400,
        (None, "body"),
        "not valid JSON",
    ),
    Case(
        "401-digit int",
        lambda: with_raw("homes_sold", "9" * 401),
        422,
        (0, "homes_sold"),
        "between",
    ),
    Case("1e999", lambda: with_raw("bank", "1e999"), 422, (0, "bank"), "finite"),
    Case("1e999 year", lambda: with_raw("year", "1e999"), 422, (0, "year"), "inf"),
    # Repeated keys: json.loads would keep the last one silently.
    Case(
        "repeated field",
        lambda: with_raw("zipcode", '1, "zipcode": 2'),
        422,
        (0, "zipcode"),
        "appears 2 times",
    ),
    Case(
        "repeated in 2nd",
        lambda: with_raw("date", '"2023-06-30", "date": "x"', 1),
        422,
        (1, "date"),
        "appears",
    ),
    Case(
        "repeated records",
        lambda: '{"records": [], "records": []}',
        400,
        (None, "records"),
        "appears 2 times",
    ),
    # Messages that say what was wrong.
    Case(
        "zipcode trailing space", lambda: body_of(zipcode="02139 "), 422, (0, "zipcode"), '"02139 "'
    ),
    Case("zipcode sign", lambda: body_of(zipcode="+2139"), 422, (0, "zipcode"), "ASCII digits"),
    Case("zipcode empty", lambda: body_of(zipcode=""), 422, (0, "zipcode"), '""'),
    Case("zipcode fraction", lambda: body_of(zipcode=30301.5), 422, (0, "zipcode"), "30301.5"),
    Case("zipcode list", lambda: body_of(zipcode=[1]), 422, (0, "zipcode"), "array"),
    Case("zipcode 1 MB", lambda: body_of(zipcode="9" * MB), 422, (0, "zipcode"), "…"),
    Case(
        "date time of day",
        lambda: body_of(date="2023-06-30T12:30:00"),
        422,
        (0, "date"),
        "12:30:00",
    ),
    Case(
        "date one second",
        lambda: body_of(date="2023-06-30 00:00:01"),
        422,
        (0, "date"),
        "time of day",
    ),
    Case(
        "date offset", lambda: body_of(date="2023-06-30T00:00:00+02:00"), 422, (0, "date"), "+02:00"
    ),
    Case(
        "date garbage after",
        lambda: body_of(date="2023-06-30Tnoon"),
        422,
        (0, "date"),
        '"2023-06-30Tnoon"',
    ),
    Case("date us format", lambda: body_of(date="06/30/2023"), 422, (0, "date"), "YYYY-MM-DD"),
    Case(
        "date impossible stamp",
        lambda: body_of(date="2023-02-30T00:00:00Z"),
        422,
        (0, "date"),
        "calendar",
    ),
    Case("date 1 MB", lambda: body_of(date="2023-06-30" + "0" * MB), 422, (0, "date"), "…"),
    Case("date epoch ms", lambda: body_of(date=1688083200000), 422, (0, "date"), "number"),
    Case("year mismatch", lambda: body_of(year=2019), 422, (0, "year"), "2019"),
    # Hostile shapes and sizes.
    Case("deep nesting", lambda: "[" * 100_000 + "]" * 100_000, 400, (None, "body"), "deeply"),
    Case(
        "deep value",
        lambda: with_raw("bank", "[" * 100_000 + "]" * 100_000),
        400,
        (None, "body"),
        "deeply",
    ),
    Case(
        "nested value", lambda: with_raw("bank", "[" * 200 + "]" * 200), 422, (0, "bank"), "array"
    ),
    Case(
        "1 MB key in record",
        lambda: body_of(**{"k" * MB: 1}),
        422,
        (0, "k" * (ECHO_MAX - 1) + "…"),
        "HouseTS",
    ),
    Case(
        "1 MB top-level key",
        lambda: json.dumps({"records": [GOOD], "k" * MB: 1}),
        400,
        (None, "k" * (ECHO_MAX - 1) + "…"),
        "not allowed",
    ),
    Case("1 MB city_full", lambda: body_of(city_full="c" * MB), 422, (0, "city_full"), "256"),
    Case(
        "100k top-level keys",
        lambda: keys_body(lambda i: f"key{i:06d}", 12 * MB // 10),
        400,
        (None, "key000000"),
        "not allowed",
    ),
    Case(
        "2 MB non-ASCII keys",
        lambda: keys_body(lambda i: f"ключ{i:06d}", 2 * MB),
        400,
        (None, "ключ000000"),
        "not allowed",
    ),
    Case(
        "10 MB top-level keys",
        lambda: keys_body(lambda i: f"{i:07d}", API_LIMIT),
        400,
        (None, "0000000"),
        "not allowed",
    ),
    Case(
        "10 MB astral keys",
        lambda: keys_body(lambda i: f"{ASTRAL * 50}{i:06d}", API_LIMIT),
        400,
        (None, ASTRAL * (ECHO_MAX - 1) + "…"),
        "not allowed",
    ),
    Case(
        "10 MB of problems",
        lambda: keys_body(lambda i: f"u{i:04d}", API_LIMIT, per_record=True),
        422,
        (0, "u0000"),
        "HouseTS",
    ),
    Case(
        "10 MB of records",
        lambda: json.dumps({"records": [0] * (API_LIMIT // 3 - 10)}),
        413,
        (None, "records"),
        "at most",
    ),
    Case(
        "astral values",
        lambda: json.dumps(
            {
                "records": [
                    {**GOOD, "zipcode": ASTRAL * 99, "date": ASTRAL * 99, "city": ASTRAL * 999}
                ]
                * 1000
            },
            ensure_ascii=False,
        ),
        422,
        (0, "zipcode"),
        ASTRAL * 3,
    ),
    Case(
        "empty records", lambda: json.dumps({"records": [{}] * 1000}), 422, (0, "date"), "required"
    ),
    Case("records are numbers", lambda: '{"records": [1, 2.5, true]}', 422, (2, None), "boolean"),
    Case("records a string", lambda: '{"records": "abc"}', 400, (None, "records"), "string"),
    Case("lone surrogate key", lambda: body_of(**{"\ud800": 1}), 422, (0, "\ud800"), "HouseTS"),
    Case("NUL key", lambda: body_of(**{"\x00": 1}), 422, (0, "\x00"), "HouseTS"),
    Case("BOM", lambda: "\ufeff" + body_of(), 400, (None, "body"), "not valid JSON"),
    Case("XML", lambda: "<records><r/></records>", 400, (None, "body"), "not valid JSON"),
    Case("form", lambda: "records=1&zipcode=2", 400, (None, "body"), "line 1 column 1"),
    Case("trailing junk", lambda: body_of() + " x", 400, (None, "body"), "Extra data"),
    Case("empty", lambda: "", 400, (None, "body"), "required"),
    Case("non-UTF-8 bytes", lambda: b"\xff\xfe{}", 400, (None, "body"), "decode"),
    Case("base64 garbage", lambda: "!!!not base64!!!", 400, (None, "body"), "decode", base64=True),
    Case(
        "base64 random",
        lambda: base64.b64encode(random.Random(9).randbytes(999)).decode(),
        400,
        (None, "body"),
        "decode",
        base64=True,
    ),
    Case(
        "base64 NaN",
        lambda: base64.b64encode(with_raw("bank", "NaN").encode()).decode(),
        422,
        (0, "bank"),
        "send null",
        base64=True,
    ),
]


def respond(app: Any, event: Any) -> tuple[int, str]:
    response = app.lambda_handler(event, lambda_context())  # must not raise
    return response["statusCode"], response["body"]


def check_error(status: int, text: str) -> dict[str, Any]:
    """The one error shape, bounded; returns the parsed body."""
    assert 400 <= status < 500, text[:500]
    assert len(text.encode()) < BODY_LIMIT
    payload = json.loads(text)
    assert set(payload) == ERROR_KEYS
    assert isinstance(payload["message"], str) and payload["message"]
    assert 1 <= len(payload["errors"]) <= MAX_PROBLEMS
    assert payload["omitted"] >= 0
    for error in payload["errors"]:
        assert set(error) == {"record", "field", "problem"}
        assert error["field"] is None or len(error["field"]) <= ECHO_MAX
        # Problems fit their bound unclipped: the cut in Problem.as_dict is a backstop only.
        assert len(error["problem"]) < PROBLEM_MAX and not error["problem"].endswith("…")
    if payload["omitted"]:
        total = len(payload["errors"]) + payload["omitted"]
        assert payload["message"].endswith(f"{total} problems, first {MAX_PROBLEMS} listed")
    return payload


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request(warm_app, case: Case) -> None:
    body = case.body()
    size = len(body.encode() if isinstance(body, str) else body)
    assert size <= API_LIMIT
    if case.id.startswith("10 MB"):  # the bound shown for the largest bodies HTTP API passes
        assert size > 9 * MB
    event = http_event("POST", "/predict", raw_body=body)
    event["isBase64Encoded"] |= case.base64
    status, text = respond(warm_app, event)
    assert status == case.status, text[:1000]
    payload = check_error(status, text)
    assert payload["request_id"] == "req-1"
    matching = [e for e in payload["errors"] if (e["record"], e["field"]) == case.named]
    assert matching, payload["errors"][:5]
    assert any(case.says in e["problem"] for e in matching), matching


def test_every_problem_is_listed_or_counted(warm_app) -> None:
    status, text = respond(
        warm_app, http_event("POST", "/predict", raw_body=json.dumps({"records": [{}] * 1000}))
    )
    payload = check_error(status, text)
    assert len(payload["errors"]) == MAX_PROBLEMS
    assert payload["omitted"] == 3 * 1000 - MAX_PROBLEMS  # date, zipcode, city_full each
    assert payload["message"] == f"Invalid records: 3000 problems, first {MAX_PROBLEMS} listed"


def test_the_bound_holds_for_the_worst_problems() -> None:
    """The arithmetic of MAX_PROBLEMS/ECHO_MAX/PROBLEM_MAX, on the worst case no validator
    writes today: every string astral and far too long, a million of them."""
    worst = Problem(10**7, ASTRAL * MB, ASTRAL * MB)
    error = RequestError(422, "Invalid records", (worst for _ in range(10**6)))
    body = json.dumps(error.body(ASTRAL * MB))
    assert len(body) < BODY_LIMIT
    assert error.omitted == 10**6 - MAX_PROBLEMS
    assert len(body) > BODY_LIMIT // 2  # the worst case is close: the cap does the work


@pytest.mark.parametrize(
    "date",
    [
        "2023-06-30T00:00:00",
        "2023-06-30T00:00:00.000Z",
        "2023-06-30 00:00:00",
        "2023-06-30T00:00:00+00:00",
        "2023-06-30T00:00:00.000000000",
    ],
)
def test_a_midnight_timestamp_is_its_date(warm_app, date: str) -> None:
    """The features see the day itself: the same prediction as the plain date."""
    other = {**GOOD, "date": "2023-07-01"}
    answers = [
        respond(warm_app, http_event("POST", "/predict", {"records": [record, other]}))
        for record in (GOOD, {**GOOD, "date": date})
    ]
    assert [status for status, _ in answers] == [200, 200], answers
    plain, stamped = (json.loads(text)["predictions"] for _, text in answers)
    assert stamped == plain
    assert plain[0] != plain[1]  # the date matters to the model, so equal means same day


# ---------------------------------------------------------------- direct invokes ---

HTTP_EVENT = http_event("POST", "/predict", {"records": [GOOD]})
REST_V1_EVENT = {
    "resource": "/predict",
    "path": "/predict",
    "httpMethod": "POST",
    "headers": {"content-type": "application/json"},
    "requestContext": {"requestId": "rest-1", "resourcePath": "/predict", "stage": "prod"},
    "body": json.dumps({"records": [GOOD]}),
    "isBase64Encoded": False,
}


def edited(path: tuple[str, ...], value: Any = ...) -> dict[str, Any]:
    """HTTP_EVENT with the member at `path` set to `value` (or removed, for ...)."""
    event = json.loads(json.dumps(HTTP_EVENT))
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return event


DIRECT = [
    ("empty object", {}, "version"),
    ("array", [HTTP_EVENT], "event"),
    ("string", "POST /predict", "event"),
    ("null", None, "event"),
    ("number", 7, "event"),
    ("REST API event", REST_V1_EVENT, "version"),
    ("HTTP API payload 1.0", {**REST_V1_EVENT, "version": "1.0"}, "version"),
    ("S3 notification", {"Records": [{"eventSource": "aws:s3"}]}, "version"),
    ("scheduled event", {"source": "aws.events", "detail-type": "Scheduled Event"}, "version"),
    ("body is an object", edited(("body",), {"records": [GOOD]}), "body"),
    ("body is a number", edited(("body",), 5), "body"),
    ("body is a list", edited(("body",), []), "body"),
    ("isBase64Encoded a string", edited(("isBase64Encoded",), "true"), "isBase64Encoded"),
    ("headers a list", edited(("headers",), ["content-type"]), "headers"),
    ("header value a number", edited(("headers",), {"content-length": 5}), "headers"),
    ("no requestContext", edited(("requestContext",)), "requestContext.requestId"),
    ("no http", edited(("requestContext", "http")), "requestContext.http.method"),
    (
        "method a number",
        edited(("requestContext", "http", "method"), 1),
        "requestContext.http.method",
    ),
    ("no rawPath", edited(("rawPath",)), "rawPath"),
    ("no stage", edited(("requestContext", "stage")), "requestContext.stage"),
    ("no routeKey", edited(("routeKey",)), "routeKey"),
]


@pytest.mark.parametrize(("event", "field"), [d[1:] for d in DIRECT], ids=[d[0] for d in DIRECT])
def test_direct_invoke_of_another_event_is_a_400(warm_app, event: Any, field: str) -> None:
    status, text = respond(warm_app, event)
    assert status == 400, text
    payload = check_error(status, text)
    assert payload["request_id"] == lambda_context().aws_request_id  # Lambda's own id
    assert (None, field) in {(e["record"], e["field"]) for e in payload["errors"]}


def member_paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(value, dict):
        return []
    paths = []
    for key, member in value.items():
        paths += [(*prefix, key), *member_paths(member, (*prefix, key))]
    return paths


@pytest.mark.parametrize("path", member_paths(HTTP_EVENT), ids=".".join)
def test_no_edit_of_an_http_event_makes_the_handler_fail(warm_app, path) -> None:
    """Every member of a real event removed or replaced by every JSON kind: a 200 or 4xx."""
    for value in (..., None, 0, True, "", "x" * 300, [], {}):
        status, text = respond(warm_app, edited(path, value))
        assert status == 200 or check_error(status, text), (path, value, text)
