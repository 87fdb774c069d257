"""`GET /openapi.json` of the local API: Powertools' document of the handler's routes.

Powertools generates the paths and every response from the routes' annotations
(`-> Response[...]`, `responses=` with predict_fn.bodies). What it cannot generate is
the request body: the route reads it by hand, so that every problem of every record
is reported (predict_fn.contract), and declares no body parameter. That schema is
written here from the contract's own constants, as strict as the code: the fuzz test
(tests/reliability/test_fuzz.py) expects a 200 for every request it allows.

Generation needs pydantic, which only the dev env has, and importing the handler runs
its init; so the document is made in a short-lived child process (`python -m
local.openapi`) without S3_BUCKET, where init fails fast and touches no network.
"""

from __future__ import annotations

import calendar
import functools
import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

PATH = "/openapi.json"
RECORD = "#/components/schemas/Record"
GENERATE_TIMEOUT = 120.0
# The child must find neither the artifacts (no init side effects) nor any real AWS.
_CHILD_DROPS = ("S3_BUCKET", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE")


def _alternation(values: Sequence[str]) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


# What predict_fn.contract accepts after a date: a midnight time, naive or UTC (pandas'
# timestamps); it is that date.
MIDNIGHT_SUFFIX = r"(?:[T ]00:00(?::00(?:\.0{1,9})?)?(?:Z|[+-]00:?00)?)?"


def date_pattern(first_year: int, last_year: int) -> str:
    """A regex matching exactly the calendar dates YYYY-MM-DD of the year range, each
    optionally followed by a midnight time (MIDNIGHT_SUFFIX).

    Enumerates the years (and the leap years for 02-29) so the pattern follows the
    constants instead of a hand-derived digit range. ASCII digits only: JSON Schema
    regexes are ECMA-262, where \\d is [0-9].
    """
    years = [f"{y:04d}" for y in range(first_year, last_year + 1)]
    leap = [y for y in years if calendar.isleap(int(y))]
    day = {28: "(?:0[1-9]|1[0-9]|2[0-8])", 30: "(?:0[1-9]|[12][0-9]|30)"}
    day[31] = "(?:0[1-9]|[12][0-9]|3[01])"
    month_days = {m: min(calendar.monthrange(2001, m)[1], 31) for m in range(1, 13)}
    by_length: dict[int, list[str]] = {}
    for month, length in month_days.items():
        by_length.setdefault(length, []).append(f"{month:02d}")
    month_day = "|".join(f"{_alternation(ms)}-{day[n]}" for n, ms in sorted(by_length.items()))
    common = f"{_alternation(years)}-(?:{month_day})"
    dates = f"{common}|{_alternation(leap)}-02-29" if leap else common
    return f"^(?:{dates}){MIDNIGHT_SUFFIX}$"


def not_blank_pattern() -> str:
    """At least one character that str.strip() keeps (the code's "must not be blank").

    Spelled as an explicit class of str.isspace() characters: regex engines disagree
    on \\s (U+0085 and U+001C..U+001F are whitespace to Python, not to every engine).
    """
    spaces = [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    ranges: list[list[int]] = []
    for code in spaces:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = [f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges]
    return "[^" + "".join(parts) + "]"


def _text(contract: Any, *, nullable: bool) -> dict[str, Any]:
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": contract.STRING_MAX,
        "pattern": not_blank_pattern(),
    }
    return {"anyOf": [text, {"type": "null"}]} if nullable else text


def record_schema(contract: Any) -> dict[str, Any]:
    """One HouseTS record, as predict_fn.contract validates it (type, bounds, required)."""
    properties: dict[str, Any] = {}
    for name in contract.NUMERIC_FIELDS:
        lower, upper = contract.BOUNDS[name]
        properties[name] = {
            "anyOf": [{"type": "number", "minimum": lower, "maximum": upper}, {"type": "null"}]
        }
    first, last = contract.YEAR_RANGE
    properties[contract.DATE] = {
        "type": "string",
        "pattern": date_pattern(first, last),
        "description": (
            f"YYYY-MM-DD, a calendar date in {first}..{last}; a timestamp at midnight "
            "(naive or UTC) stands for its date"
        ),
    }
    properties[contract.ZIPCODE] = {
        "description": "ZIP code: an integer, or a string of 1-5 ASCII digits",
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": 99999},
            {"type": "string", "pattern": "^[0-9]{1,5}$"},
        ],
    }
    properties[contract.CITY_FULL] = _text(contract, nullable=False)
    properties[contract.CITY] = _text(contract, nullable=True)
    # year == the year of `date` is a cross-field rule JSON Schema cannot state; the fuzz
    # test's hook keeps generated positive records consistent with it.
    properties[contract.YEAR] = {
        "anyOf": [{"type": "integer"}, {"type": "null"}],
        "description": "must equal the year of `date`",
    }
    missing = set(contract.ALL_FIELDS) - set(properties)
    if missing:  # a field added to the contract must be described here too
        raise RuntimeError(f"no OpenAPI schema for fields: {sorted(missing)}")
    return {
        "type": "object",
        "properties": properties,
        "required": list(contract.REQUIRED),
        "additionalProperties": False,
    }


def request_schema(max_records: int, max_explain_records: int) -> dict[str, Any]:
    records = {"type": "array", "items": {"$ref": RECORD}, "minItems": 1, "maxItems": max_records}
    explain = {
        "type": "boolean",
        "default": False,
        "description": f"true: one explanation per record; at most {max_explain_records} records",
    }
    return {
        "type": "object",
        "properties": {"records": records, "explain": explain},
        "required": ["records"],
        "additionalProperties": False,
        # Explained records have their own, lower bound.
        "if": {"properties": {"explain": {"const": True}}, "required": ["explain"]},
        "then": {"properties": {"records": {"maxItems": max_explain_records}}},
    }


def document(resolver: Any, package: str, max_records: int) -> dict[str, Any]:
    """Powertools' document of `resolver`, with the request body of every route that takes one."""
    generated: dict[str, Any] = json.loads(
        resolver.get_openapi_json_schema(
            title="HouseTS price prediction (local API)", version="local"
        )
    )
    body = {"$ref": "#/components/schemas/PredictRequest"}
    for item in generated["paths"].values():
        for method, operation in item.items():
            if method in ("post", "put", "patch"):
                content = {"application/json": {"schema": body}}
                operation["requestBody"] = {"required": True, "content": content}
    # The request contract and its bounds live beside the handler.
    contract = importlib.import_module(f"{package}.contract")
    max_explain = importlib.import_module(f"{package}.config").MAX_EXPLAIN_RECORDS
    schemas = generated.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(
        Record=record_schema(contract), PredictRequest=request_schema(max_records, max_explain)
    )
    return generated


def generator(handler: str, max_records: int) -> Callable[[], bytes]:
    """What the gateway serves at PATH: the document, made on the first request, then kept."""

    @functools.cache
    def generate() -> bytes:
        env = {k: v for k, v in os.environ.items() if k not in _CHILD_DROPS}
        done = subprocess.run(
            [sys.executable, "-m", "local.openapi", handler, str(max_records)],
            env={**env, "POWERTOOLS_LOG_LEVEL": "CRITICAL"},
            capture_output=True,
            timeout=GENERATE_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"generation failed:\n{done.stderr.decode()[-4000:]}")
        return done.stdout

    return generate


def main() -> None:
    """python -m local.openapi HANDLER MAX_RECORDS: the document on stdout."""
    handler, max_records = sys.argv[1], int(sys.argv[2])
    out, sys.stdout = sys.stdout, sys.stderr  # the handler's init logs must not mix in
    module = importlib.import_module(handler.rpartition(".")[0])
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    resolver = next(v for v in vars(module).values() if isinstance(v, ApiGatewayResolver))
    package = handler.split(".", 1)[0]
    out.write(json.dumps(document(resolver, package, max_records), indent=2))


if __name__ == "__main__":
    main()
