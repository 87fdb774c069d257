"""The request contract: HouseTS fields, their types and bounds, and the error shape.

Pure (stdlib + numpy): training and serving both import it. Validation is
hand-written because the contract needs *every* problem of *every* record, each
named by record index and field, and JSON-Schema validators stop at the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import chain, islice
from json import JSONDecodeError
from typing import Any

import numpy as np

from predict_fn import strict_json
from predict_fn.strict_json import NotJson, RepeatedKeys

LABEL = "price"
DATE = "date"
ZIPCODE = "zipcode"
CITY_FULL = "city_full"
CITY = "city"
YEAR = "year"
REQUIRED = (DATE, ZIPCODE, CITY_FULL)
# The /predict body: {"records": [...], "explain": true|false}, explain optional.
EXPLAIN = "explain"
ENVELOPE_KEYS = frozenset({"records", EXPLAIN})

# Numeric HouseTS columns, in the dataset's header order. Census columns use 0 for
# "missing" in the source data; null is accepted here and reaches the model as NaN.
NUMERIC_FIELDS: tuple[str, ...] = (
    "median_sale_price",
    "median_list_price",
    "median_ppsf",
    "median_list_ppsf",
    "homes_sold",
    "pending_sales",
    "new_listings",
    "inventory",
    "median_dom",
    "avg_sale_to_list",
    "sold_above_list",
    "off_market_in_two_weeks",
    "bank",
    "bus",
    "hospital",
    "mall",
    "park",
    "restaurant",
    "school",
    "station",
    "supermarket",
    "Total Population",
    "Median Age",
    "Per Capita Income",
    "Total Families Below Poverty",
    "Total Housing Units",
    "Median Rent",
    "Median Home Value",
    "Total Labor Force",
    "Unemployed Population",
    "Total School Age Population",
    "Total School Enrollment",
    "Median Commute Time",
    LABEL,
)
FRACTION_FIELDS = frozenset({"sold_above_list", "off_market_in_two_weeks"})
NUMBER_MAX = 1e12
STRING_MAX = 256
YEAR_RANGE = (1900, 2100)

# Every error body stays under 256 KiB whatever the request. json.dumps writes at most 12 B
# a character (an astral one as two \uXXXX escapes); an entry's keys and index take < 64 B:
# 100 entries x (64 B + 12 B x (40 + 128) chars) + 4 KiB message and request id = 207 KiB
MAX_PROBLEMS = 100
ECHO_MAX = 40  # characters of a client's string (a field name, a quoted value) echoed back
PROBLEM_MAX = 128  # characters of a problem text, its quoted value included

ALL_FIELDS = frozenset((*NUMERIC_FIELDS, DATE, ZIPCODE, CITY_FULL, CITY, YEAR))
# (lower, upper) per numeric field. A price below one dollar is not a sale, and it
# would make the MAPE of the response's metrics overflow.
BOUNDS = {
    name: (1.0 if name == LABEL else 0.0, 1.0 if name in FRACTION_FIELDS else NUMBER_MAX)
    for name in NUMERIC_FIELDS
}
_NUMBER_TYPES = (int, float)
# [0-9], not \d: \d also matches other scripts' digits, which int() would accept.
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZIP_RE = re.compile(r"[0-9]{1,5}")
# pandas writes a date column as timestamps: "2023-06-30T00:00:00" or "...00.000Z" (to_json),
# "2023-06-30 00:00:00" (str), "...+00:00" (isoformat of UTC). At midnight, naive or UTC,
# such a timestamp is that day; another time is no date, and another offset moves the day.
_TIME_RE = re.compile(
    r"[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_MIDNIGHT_RE = re.compile(r"00:00(?::00(?:\.0+)?)?")
_UTC_OFFSETS = frozenset({None, "Z", "+00:00", "-00:00", "+0000", "-0000"})
_TIMESTAMP_MAX = len("2023-06-30T00:00:00.000000000+00:00")  # longer is no date of ours
_DATE_FORMAT = "YYYY-MM-DD or a midnight timestamp (naive or UTC)"


def clip(text: str, limit: int = ECHO_MAX) -> str:
    """At most `limit` characters of a client's string; "…" marks a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str) -> str:
    return f'"{clip(text)}"'


@dataclass(frozen=True, slots=True)
class Problem:
    record: int | None
    field: str | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        # Clipped where every error body is built, so no input can grow one past its bound.
        field = None if self.field is None else clip(self.field)
        return {"record": self.record, "field": field, "problem": clip(self.problem, PROBLEM_MAX)}


class RequestError(Exception):
    """A client mistake, answered with its 4xx status and the body below.

    The one place error lists are bounded: the first MAX_PROBLEMS problems are kept and
    the rest only counted (`problems` may be a lazy iterator), so a body of a million
    bad keys costs no more to answer than one of a hundred.
    """

    def __init__(self, status: int, message: str, problems: Iterable[Problem] = ()) -> None:
        pending = iter(problems)
        self.status = status
        self.problems = list(islice(pending, MAX_PROBLEMS))
        self.omitted = sum(1 for _ in pending)
        if self.omitted:
            message = f"{message}: {self.total} problems, first {len(self.problems)} listed"
        self.message = message
        super().__init__(message)

    @property
    def total(self) -> int:
        return len(self.problems) + self.omitted

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body of every client error."""
        return {
            "message": self.message,
            "errors": [p.as_dict() for p in self.problems],
            "omitted": self.omitted,
            "request_id": clip(request_id),
        }


def _fail_if_any(status: int, message: str, problems: Iterator[Problem]) -> None:
    first = next(problems, None)
    if first is not None:
        raise RequestError(status, message, chain((first,), problems))


def describe(value: Any) -> str:
    """A value's kind, as problems name it ("a JSON array"); never the value itself."""
    if isinstance(value, NotJson):
        return value.description
    return "a boolean" if isinstance(value, bool) else f"a JSON {_json_type(value)}"


def _json_type(value: Any) -> str:
    match value:
        case None:
            return "null"
        case str():
            return "string"
        case int() | float():
            return "number"
        case list():
            return "array"
        case dict():
            return "object"
    return type(value).__name__


def _got(value: Any) -> str:
    """A value as a problem shows it: a string quoted (clipped), a fraction as sent."""
    if isinstance(value, str):
        return quote(value)
    if type(value) is float:
        return repr(value)  # at most 24 characters
    return describe(value)


def parse_json(text: str | None) -> Any:
    """The body's JSON value; values JSON cannot carry stay in, as NotJson markers."""
    if not text:
        raise RequestError(400, "Empty body", [Problem(None, "body", "is required")])
    try:
        return strict_json.loads(text)
    except RecursionError:
        problem = "is nested too deeply"
    except JSONDecodeError as exc:
        problem = f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    raise RequestError(400, "Body is not valid JSON", [Problem(None, "body", problem)])


def _number_problem(value: Any, lower: float, upper: float) -> str:
    if type(value) not in _NUMBER_TYPES:
        return f"must be a number or null, got {_got(value)}"
    if type(value) is float and not math.isfinite(value):  # 1e999 reads as inf
        return "must be a finite number"
    return f"must be between {lower:g} and {upper:g}"


def _string_problem(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        return f"must be a string, got {describe(value)}"
    if not value.strip():
        return "must not be blank"
    if len(value) > STRING_MAX:
        return f"must be at most {STRING_MAX} characters, got {len(value)}"
    return None


def _time_problem(value: str) -> str | None:
    """What is wrong with the part after a timestamp's date, or None at midnight naive or UTC."""
    found = _TIME_RE.fullmatch(value, len("YYYY-MM-DD"))
    if found is None:
        return f"must be {_DATE_FORMAT}, got {quote(value)}"
    if found["offset"] not in _UTC_OFFSETS:
        return f"has UTC offset {found['offset']}: send the date in UTC, or as YYYY-MM-DD"
    if not _MIDNIGHT_RE.fullmatch(found["time"]):
        return f"has a time of day, {found['time']}: send the date alone, as YYYY-MM-DD"
    return None


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    if not isinstance(value, str):
        return None, f"must be a YYYY-MM-DD string, got {describe(value)}"
    if len(value) > _TIMESTAMP_MAX or not _DATE_RE.match(value):
        return None, f"must be {_DATE_FORMAT}, got {quote(value)}"
    if len(value) > len("YYYY-MM-DD") and (problem := _time_problem(value)):
        return None, problem
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None, f"is not a calendar date: {quote(value[:10])}"
    if not YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]:
        return None, f"year must be between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}"
    return parsed, None


def _whole(value: Any) -> int | None:
    """JSON has one number type: 2139 and 2139.0 are the same whole number (a pandas
    column of ZIP codes with a gap serialises as floats); booleans are not numbers."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def _zipcode_problem(value: Any) -> str | None:
    # The dataset stores ZIP codes as integers (leading zeros lost); "02139" and 2139
    # are the same ZIP, so both spellings are accepted.
    number = _whole(value)
    if number is not None:
        return None if 0 <= number <= 99999 else "must be between 0 and 99999"
    if isinstance(value, str):
        if _ZIP_RE.fullmatch(value):
            return None
        return f"must be 1-5 ASCII digits, no spaces or other characters, got {quote(value)}"
    if type(value) is float:
        return f"must be a whole number, got {_got(value)}"
    return f"must be an integer or a string of 1-5 ASCII digits, got {describe(value)}"


def _year_problem(value: Any, parsed_date: date | None) -> str | None:
    year = _whole(value)
    if year is None:
        return f"must be a whole number, got {_got(value)}"
    if parsed_date is not None and year != parsed_date.year:
        return f"is {clip(str(year))} but date is in {parsed_date.year}"
    return None


_VALUE_CHECKS: tuple[tuple[str, Callable[[Any], str | None]], ...] = (
    (ZIPCODE, _zipcode_problem),
    (CITY_FULL, partial(_string_problem, required=True)),
    (CITY, partial(_string_problem, required=False)),
)


def field_problems(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, problem) for every problem of one record object."""
    if isinstance(record, RepeatedKeys):
        for name, count in record.counts.items():
            yield name, f"appears {count} times: send each field once"
    for name, value in record.items():
        bounds = BOUNDS.get(name)
        if bounds is not None:
            lower, upper = bounds
            # type(), not isinstance: JSON true is not a number. The bounds test is also
            # false for ±inf, so this one line is the whole check for valid input.
            if value is None or (type(value) in _NUMBER_TYPES and lower <= value <= upper):
                continue
            yield name, _number_problem(value, lower, upper)
        elif name not in ALL_FIELDS:
            yield name, "is not a HouseTS field"
    for name in REQUIRED:
        if name not in record:
            yield name, "is required"
    parsed_date, problem = _parse_date(record[DATE]) if DATE in record else (None, None)
    if problem:
        yield DATE, problem
    for name, check in _VALUE_CHECKS:
        if name in record and (problem := check(record[name])):
            yield name, problem
    if record.get(YEAR) is not None and (problem := _year_problem(record[YEAR], parsed_date)):
        yield YEAR, problem


def _record_problems(records: list[Any]) -> Iterator[Problem]:
    for index, record in enumerate(records):
        if isinstance(record, dict):
            for name, problem in field_problems(record):
                yield Problem(index, name, problem)
        else:
            yield Problem(index, None, f"must be a JSON object, got {describe(record)}")


def _key_problems(body: dict[str, Any]) -> Iterator[Problem]:
    if isinstance(body, RepeatedKeys):
        for name, count in body.counts.items():
            yield Problem(None, name, f"appears {count} times: send each key once")
    for name in body:
        if name not in ENVELOPE_KEYS:
            yield Problem(None, name, "is not allowed")


def records_from_body(body: Any, max_records: int) -> list[Any]:
    """Check the envelope `{"records": [...], "explain"?: bool}` and return the records list."""
    if not isinstance(body, dict):
        raise RequestError(
            400,
            "Request body must be a JSON object",
            [Problem(None, "body", f"must be a JSON object, got {describe(body)}")],
        )
    _fail_if_any(400, "Request body has unknown or repeated keys", _key_problems(body))
    if "records" not in body:
        raise RequestError(400, "Missing 'records'", [Problem(None, "records", "is required")])
    records = body["records"]
    if not isinstance(records, list):
        raise RequestError(
            400,
            "'records' must be a list",
            [Problem(None, "records", f"must be an array, got {describe(records)}")],
        )
    if not records:
        raise RequestError(422, "No records", [Problem(None, "records", "must not be empty")])
    if len(records) > max_records:
        raise RequestError(
            413,
            f"Too many records: {len(records)} > {max_records}",
            [Problem(None, "records", f"must hold at most {max_records} records")],
        )
    return records


def explain_from_body(body: dict[str, Any], count: int, max_explain_records: int) -> bool:
    """Whether an envelope that records_from_body accepted, holding `count` records, asks
    for explanations; they cost far more than predictions, hence their own bound."""
    explain = body.get(EXPLAIN, False)
    if type(explain) is not bool:
        raise RequestError(
            400,
            f"'{EXPLAIN}' must be a boolean",
            [Problem(None, EXPLAIN, f"must be true or false, got {describe(explain)}")],
        )
    if explain and count > max_explain_records:
        raise RequestError(
            413,
            f"Too many records to explain: {count} > {max_explain_records}",
            [
                Problem(
                    None,
                    "records",
                    f"must hold at most {max_explain_records} records when {EXPLAIN} is true",
                )
            ],
        )
    return explain


def to_columns(records: list[Any]) -> dict[str, Any]:
    """Validate every record and build one columnar frame (field → column), like a CSV read.

    Raises RequestError(422) listing the problems (the first MAX_PROBLEMS, the rest counted).
    """
    _fail_if_any(422, "Invalid records", _record_problems(records))
    columns: dict[str, Any] = {
        # A valid date starts with its YYYY-MM-DD (a midnight timestamp is that day).
        DATE: [r[DATE][:10] for r in records],
        # int() reads each accepted spelling: 2139, 2139.0 and "02139".
        ZIPCODE: np.array([int(r[ZIPCODE]) for r in records], dtype=np.int64),
        CITY_FULL: [r[CITY_FULL] for r in records],
    }
    for name in NUMERIC_FIELDS:
        # dtype=float turns JSON null (None) into NaN, exactly as read_csv does for empty cells.
        columns[name] = np.array([r.get(name) for r in records], dtype=np.float64)
    return columns
