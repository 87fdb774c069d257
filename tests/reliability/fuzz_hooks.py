"""Schemathesis hooks for test_fuzz.py (loaded by path through SCHEMATHESIS_HOOKS).

They adjust generated request bodies where JSON Schema cannot say what the code means,
so that "schema-valid" and "valid by predict_fn.contract" are the same set:

- a record's `year` must equal the year of its `date` (a cross-field rule).

Only values that are already schema-valid are rewritten, and only into other valid
values, so no negative case loses the violation it was built for.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

_DATE = re.compile(r"([0-9]{4})-[0-9]{2}-[0-9]{2}")


def adjust(record: Any) -> None:
    if not isinstance(record, dict):
        return
    year = record.get("year")
    if type(year) not in (int, float) or not float(year).is_integer():
        return
    date = record.get("date")
    # match, not fullmatch: a date may go on with a midnight time, still the same year.
    found = _DATE.match(date) if isinstance(date, str) else None
    if found:
        record["year"] = int(found.group(1))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    # before_call, not map_body: the coverage phase builds its cases without map hooks.
    body = case.body
    records = body.get("records") if isinstance(body, dict) else None
    if isinstance(records, list):
        for record in records:
            adjust(record)
