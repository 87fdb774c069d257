"""`GET /openapi.json` of the local API: the HTTP contract of the routed function.

Never deployed: Lambda has no pydantic, and the document is a test fixture (schemathesis
fuzzes the local API against it, tests/reliability/test_fuzz.py), not a public route.

Powertools emits the skeleton (`app.get_openapi_schema` of predict_fn.app's resolver:
paths, methods, operation ids). The routes take no typed parameters, so the request body
and the responses are filled in here from the code's own constants: predict_fn.contract
(fields, bounds, the error shape) and the record limit of the function's environment.
Only the operations the gateway routes (template.yaml's HttpApi events) are kept: HTTP
API answers any other method or path itself with 404, before Lambda.

Importing predict_fn.app runs its init (artifact load), so the document is generated in
a short-lived child process (`python -m local.openapi`) with no S3_BUCKET: init fails
fast on the configuration, touches no network, and the API process never imports the
handler outside its container.
"""

from __future__ import annotations

import argparse
import calendar
import functools
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

OPENAPI_PATH = "/openapi.json"
ROOT = Path(__file__).resolve().parent.parent
GENERATE_TIMEOUT = 120.0
# The child must not find the artifacts (no init side effects) nor any real AWS.
_CHILD_DROPS = ("S3_BUCKET", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE")

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


# ---------------------------------------------------------------- request contract ---


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


def _text(schema: Any, *, nullable: bool) -> dict[str, Any]:
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": schema.STRING_MAX,
        "pattern": not_blank_pattern(),
    }
    return {"anyOf": [text, {"type": "null"}]} if nullable else text


def record_schema(schema: Any) -> dict[str, Any]:
    """One HouseTS record, as predict_fn.contract validates it (type, bounds, required)."""
    properties: dict[str, Any] = {}
    for name in schema.NUMERIC_FIELDS:
        lower, upper = schema.BOUNDS[name]
        properties[name] = {
            "anyOf": [{"type": "number", "minimum": lower, "maximum": upper}, {"type": "null"}]
        }
    first, last = schema.YEAR_RANGE
    properties[schema.DATE] = {
        "type": "string",
        "pattern": date_pattern(first, last),
        "description": (
            f"YYYY-MM-DD, a calendar date in {first}..{last}; a timestamp at midnight "
            "(naive or UTC) stands for its date"
        ),
    }
    properties[schema.ZIPCODE] = {
        "description": "ZIP code: an integer, or a string of 1-5 ASCII digits",
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": 99999},
            {"type": "string", "pattern": "^[0-9]{1,5}$"},
        ],
    }
    properties[schema.CITY_FULL] = _text(schema, nullable=False)
    properties[schema.CITY] = _text(schema, nullable=True)
    # year == the year of `date` is a cross-field rule JSON Schema cannot state; the fuzz
    # test's hook keeps generated positive records consistent with it.
    properties[schema.YEAR] = {
        "anyOf": [{"type": "integer"}, {"type": "null"}],
        "description": "must equal the year of `date`",
    }
    missing = set(schema.ALL_FIELDS) - set(properties)
    if missing:  # a field added to the contract must be described here too
        raise RuntimeError(f"no OpenAPI schema for fields: {sorted(missing)}")
    return {
        "type": "object",
        "properties": properties,
        "required": list(schema.REQUIRED),
        "additionalProperties": False,
    }


def request_schema(max_records: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "records": {
                "type": "array",
                "items": _ref("Record"),
                "minItems": 1,
                "maxItems": max_records,
            }
        },
        "required": ["records"],
        "additionalProperties": False,
    }


# --------------------------------------------------------------------- responses ---


def _number_or_null() -> dict[str, Any]:
    return {"anyOf": [{"type": "number"}, {"type": "null"}]}


def response_schemas(schema: Any, max_records: int) -> dict[str, Any]:
    problem = {
        "type": "object",
        "properties": {
            "record": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
            "field": {
                "anyOf": [{"type": "string", "maxLength": schema.ECHO_MAX}, {"type": "null"}]
            },
            "problem": {"type": "string", "maxLength": schema.PROBLEM_MAX},
        },
        "required": ["record", "field", "problem"],
        "additionalProperties": False,
    }
    function_error = {
        "description": "An error answered by the function: every error has this shape",
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "errors": {"type": "array", "items": _ref("Problem"), "maxItems": schema.MAX_PROBLEMS},
            "omitted": {"type": "integer", "minimum": 0, "description": "problems not listed"},
            "request_id": {"type": "string"},
            "loaded": {"type": "boolean"},
        },
        "required": ["message", "request_id"],
        "additionalProperties": False,
    }
    gateway_error = {
        "description": "An error answered by API Gateway itself (never reaches the function)",
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
        "additionalProperties": False,
    }
    prediction = {
        "type": "object",
        "properties": {
            "predictions": {"type": "array", "items": {"type": "number"}, "minItems": 1},
            "count": {"type": "integer", "minimum": 1, "maximum": max_records},
            "model": {
                "type": "object",
                "properties": {"version": {"type": "string"}},
                "required": ["version"],
            },
            "actuals": {"type": "array", "items": _number_or_null()},
            "metrics": {
                "type": "object",
                "properties": {
                    "mae": {"type": "number"},
                    "rmse": {"type": "number"},
                    "mape": {"type": "number"},
                    "count": {"type": "integer", "minimum": 1},
                },
                "required": ["mae", "rmse", "mape", "count"],
            },
        },
        "required": ["predictions", "count", "model"],
        "additionalProperties": False,
    }
    health = {
        "type": "object",
        "properties": {
            "status": {"const": "ok"},
            "loaded": {"const": True},
            "model": {
                "type": "object",
                "properties": {
                    "version": {"type": "string"},
                    "feature_count": {"type": "integer", "minimum": 1},
                    "artifacts": {"type": "object"},
                },
                "required": ["version", "feature_count", "artifacts"],
            },
            "load_ms": {"type": "number", "minimum": 0},
        },
        "required": ["status", "loaded", "model", "load_ms"],
        "additionalProperties": False,
    }
    return {
        "Problem": problem,
        "FunctionError": function_error,
        "GatewayError": gateway_error,
        "Prediction": prediction,
        "Health": health,
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _either_error() -> dict[str, Any]:
    return {"anyOf": [_ref("FunctionError"), _ref("GatewayError")]}


def route_responses(schema: Any, max_records: int) -> dict[str, dict[int, dict[str, Any]]]:
    """Status → response object for each routed operation ("METHOD /path")."""
    s = HTTPStatus
    internal = _json(_either_error(), "Unexpected error (function or gateway); never expected")
    return {
        "POST /predict": {
            s.OK: _json(_ref("Prediction"), "One prediction per record, in order"),
            s.BAD_REQUEST: _json(
                _ref("FunctionError"),
                "Body is not JSON, not an object, or has unknown or repeated keys",
            ),
            s.REQUEST_ENTITY_TOO_LARGE: _json(
                _either_error(),
                f"More than {max_records} records (function) or a body over the "
                "HTTP API quota (gateway)",
            ),
            s.UNPROCESSABLE_ENTITY: _json(
                _ref("FunctionError"),
                f"No records, or invalid records (at most {schema.MAX_PROBLEMS} problems "
                "listed, the rest counted in omitted)",
            ),
            s.INTERNAL_SERVER_ERROR: internal,
            s.SERVICE_UNAVAILABLE: _json(
                _either_error(), "Model artifacts not loaded (retry later) or function timeout"
            ),
        },
        "GET /health": {
            s.OK: _json(_ref("Health"), "Model loaded"),
            s.INTERNAL_SERVER_ERROR: internal,
            s.SERVICE_UNAVAILABLE: _json(_either_error(), "Model not loaded (loaded: false)"),
        },
    }


# ------------------------------------------------------------------ the document ---


def _without_return_annotation(func: Callable[..., Any]) -> Callable[..., Any]:
    """The same route function with no return annotation.

    Powertools turns a return annotation into a response model with pydantic, which
    cannot model its own `Response` class (PydanticSchemaGenerationError); the
    responses are described in route_responses instead.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    signature = inspect.signature(func, eval_str=True)
    wrapper.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    return wrapper


def document(resolver: Any, schema: Any, routes: Sequence[str], max_records: int) -> dict[str, Any]:
    """Powertools' OpenAPI document of `resolver`, limited to `routes` and completed."""
    for route in [*resolver._static_routes, *resolver._dynamic_routes]:
        route.func = _without_return_annotation(route.func)
    generated = json.loads(
        resolver.get_openapi_json_schema(
            title="HouseTS price prediction (local API)",
            version="local",
            description=(__doc__ or "").split("\n\n", 1)[0],
        )
    )
    responses = route_responses(schema, max_records)
    paths: dict[str, dict[str, Any]] = {}
    for key in routes:
        method, path = key.split(" ", 1)
        operation = generated.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            raise RuntimeError(f"{key} is routed by the template but not by the resolver")
        if key not in responses:
            raise RuntimeError(f"no responses described for {key}")
        operation["responses"] = {str(int(k)): v for k, v in responses[key].items()}
        if method in {"POST", "PUT", "PATCH"}:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref("PredictRequest")}},
            }
        paths.setdefault(path, {})[method.lower()] = operation
    components = generated.setdefault("components", {}).setdefault("schemas", {})
    components.update(response_schemas(schema, max_records))
    components["Record"] = record_schema(schema)
    components["PredictRequest"] = request_schema(max_records)
    generated["paths"] = paths
    generated["servers"] = [{"url": "/"}]
    return generated


def generate(handler: str, root: Path, routes: Sequence[str], max_records: str | None) -> bytes:
    """The document as JSON bytes, generated in a child process (see the module doc).

    handler is the template's Handler ("predict_fn.app.lambda_handler"), imported from
    root, the way the container imports it from the source tree.
    """
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_DROPS}
    env["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    command = [sys.executable, "-m", "local.openapi", "--handler", handler, "--root", str(root)]
    command += [arg for route in routes for arg in ("--route", route)]
    if max_records:  # the function's MAX_RECORDS, as its environment spells it
        command += ["--max-records", max_records]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, timeout=GENERATE_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"OpenAPI generation failed:\n{done.stderr.decode()[-4000:]}")
    return done.stdout


class Document:
    """What the gateway serves at OPENAPI_PATH: generated on first request, then cached."""

    def __init__(
        self, handler: str, root: Path, routes: Sequence[str], max_records: str | None
    ) -> None:
        self._args = (handler, root, tuple(routes), max_records)
        self._body: bytes | None = None
        self._lock = threading.Lock()

    def body(self) -> bytes:
        with self._lock:
            if self._body is None:
                self._body = generate(*self._args)
            return self._body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.openapi", description=__doc__)
    parser.add_argument("--handler", required=True, help="module.function, as in the template")
    parser.add_argument("--root", type=Path, required=True, help="folder the handler imports from")
    parser.add_argument("--route", action="append", required=True, help='e.g. "POST /predict"')
    parser.add_argument("--max-records", type=int)
    args = parser.parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr  # the handler's init logs (JSON lines) must not mix in
    sys.path.insert(0, str(args.root))
    module_name = args.handler.rpartition(".")[0]
    package = module_name.split(".", 1)[0]
    module = importlib.import_module(module_name)
    # The contract and the limits live beside the handler (predict_fn.contract, .config).
    schema = importlib.import_module(f"{package}.contract")
    config = importlib.import_module(f"{package}.config")
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    resolvers = [v for v in vars(module).values() if isinstance(v, ApiGatewayResolver)]
    if len(resolvers) != 1:
        raise SystemExit(f"expected one Powertools resolver in {module_name}, got {len(resolvers)}")
    max_records = args.max_records or config.MAX_RECORDS
    out.write(json.dumps(document(resolvers[0], schema, args.route, max_records), indent=2))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
