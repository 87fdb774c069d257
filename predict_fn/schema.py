"""The request contract: HouseTS fields, their types and bounds, and the error shape.

Pure (stdlib + numpy): training and serving both import it. Validation is
hand-written because the contract needs *every* problem of *every* record, each
named by record index and field, and JSON-Schema validators stop at the first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

LABEL = "price"
DATE = "date"
ZIPCODE = "zipcode"
CITY_FULL = "city_full"
CITY = "city"
YEAR = "year"
REQUIRED = (DATE, ZIPCODE, CITY_FULL)

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
MAX_PROBLEMS = 500  # keeps a 422 body far below Lambda's 6 MB response limit

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


@dataclass(frozen=True, slots=True)
class Problem:
    record: int | None
    field: str | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "problem": self.problem}


@dataclass(slots=True)
class RequestError(Exception):
    """A client mistake: mapped to a 4xx JSON error by the handler."""

    status: int
    message: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def _describe(value: Any) -> str:
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


def _number_problem(value: Any, lower: float, upper: float) -> str:
    if type(value) not in _NUMBER_TYPES:
        return f"must be a number or null, got {_describe(value)}"
    if not math.isfinite(value):
        return "must be a finite number"
    return f"must be between {lower:g} and {upper:g}"


def _check_string(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        return f"must be a string, got {_describe(value)}"
    if not value.strip():
        return "must not be blank"
    if len(value) > STRING_MAX:
        return f"must be at most {STRING_MAX} characters, got {len(value)}"
    return None


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    if not isinstance(value, str):
        return None, f"must be a YYYY-MM-DD string, got {_describe(value)}"
    if len(value) != 10 or not _DATE_RE.fullmatch(value):
        return None, "must be a YYYY-MM-DD string"
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None, "is not a calendar date"
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


def _parse_zipcode(value: Any) -> tuple[int | None, str | None]:
    # The dataset stores ZIP codes as integers (leading zeros lost); "02139" and 2139
    # are the same ZIP, so both spellings are accepted.
    number = _whole(value)
    if number is not None:
        return (number, None) if 0 <= number <= 99999 else (None, "must be between 0 and 99999")
    if isinstance(value, str) and _ZIP_RE.fullmatch(value):
        return int(value), None
    return None, f"must be a 5-digit ZIP code (integer or string), got {_describe(value)}"


def _check_record(index: int, record: Any, zips: list[int], problems: list[Problem]) -> None:
    if not isinstance(record, dict):
        problems.append(Problem(index, None, f"must be a JSON object, got {_describe(record)}"))
        zips.append(0)
        return
    for name, value in record.items():
        bounds = BOUNDS.get(name)
        if bounds is not None:
            lower, upper = bounds
            # type(), not isinstance: JSON true is not a number. The bounds test is also
            # false for NaN and ±inf, so this one line is the whole check for valid input.
            if value is None or (type(value) in _NUMBER_TYPES and lower <= value <= upper):
                continue
            problems.append(Problem(index, name, _number_problem(value, lower, upper)))
        elif name not in ALL_FIELDS:
            problems.append(Problem(index, str(name)[:STRING_MAX], "is not a HouseTS field"))
    problems.extend(Problem(index, name, "is required") for name in REQUIRED if name not in record)
    parsed_date, error = _parse_date(record[DATE]) if DATE in record else (None, None)
    if error:
        problems.append(Problem(index, DATE, error))
    zipcode, error = _parse_zipcode(record[ZIPCODE]) if ZIPCODE in record else (0, None)
    if error:
        problems.append(Problem(index, ZIPCODE, error))
    zips.append(zipcode or 0)
    for name, required in ((CITY_FULL, True), (CITY, False)):
        if name in record and (error := _check_string(record[name], required=required)):
            problems.append(Problem(index, name, error))
    if YEAR in record and record[YEAR] is not None:
        year = _whole(record[YEAR])
        if year is None:
            problems.append(
                Problem(index, YEAR, f"must be a whole number, got {_describe(record[YEAR])}")
            )
        elif parsed_date is not None and year != parsed_date.year:
            problems.append(Problem(index, YEAR, f"is {year} but date is in {parsed_date.year}"))


def records_from_body(body: Any, max_records: int) -> list[dict[str, Any]]:
    """Check the envelope `{"records": [...]}` and return the records list."""
    if not isinstance(body, dict):
        raise RequestError(
            400,
            "Request body must be a JSON object",
            [Problem(None, "body", f"must be a JSON object, got {_describe(body)}")],
        )
    unknown = [Problem(None, str(k)[:STRING_MAX], "is not allowed") for k in body if k != "records"]
    if unknown:
        raise RequestError(400, "Request body has unknown fields", unknown)
    if "records" not in body:
        raise RequestError(400, "Missing 'records'", [Problem(None, "records", "is required")])
    records = body["records"]
    if not isinstance(records, list):
        raise RequestError(
            400,
            "'records' must be a list",
            [Problem(None, "records", f"must be an array, got {_describe(records)}")],
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


def to_columns(records: list[Any]) -> dict[str, Any]:
    """Validate every record and build one columnar frame (field → column), like a CSV read.

    Raises RequestError(422) listing every problem (up to MAX_PROBLEMS).
    """
    problems: list[Problem] = []
    zips: list[int] = []
    for index, record in enumerate(records):
        _check_record(index, record, zips, problems)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        message = f"{len(problems)} invalid field(s)" + (
            f"; first {len(shown)} listed" if more else ""
        )
        raise RequestError(422, message, shown)
    columns: dict[str, Any] = {
        DATE: [r[DATE] for r in records],
        ZIPCODE: np.asarray(zips, dtype=np.int64),
        CITY_FULL: [r[CITY_FULL] for r in records],
    }
    for name in NUMERIC_FIELDS:
        # dtype=float turns JSON null (None) into NaN, exactly as read_csv does for empty cells.
        columns[name] = np.array([r.get(name) for r in records], dtype=np.float64)
    return columns
