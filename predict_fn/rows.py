"""CSV rows → the contract's columns, with a verdict per row: scored, or its problems.

A CSV row stands for the JSON record it would be: a cell of a numeric field (the
contract's numbers, year, zipcode) that reads as a decimal number is that number, any
other cell is its text, and "" is an absent field. `contract.field_problems` judges
that record, as it judges a record sent to /predict. Judging a million rows one by one
in Python would cost more than the model does, so each column is first checked whole
with numpy against the same rules; only the rows that check cannot clear meet the
contract one by one, and a row it clears always passes the contract
(tests/unit/test_rows.py holds the two ways together). Hand-written: no library
validates columns against this contract.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from predict_fn import contract
from predict_fn.contract import (
    ALL_FIELDS,
    BOUNDS,
    CITY,
    CITY_FULL,
    DATE,
    NUMERIC_FIELDS,
    PROBLEM_MAX,
    REQUIRED,
    STRING_MAX,
    YEAR,
    YEAR_RANGE,
    ZIPCODE,
    clip,
)

NUMBER_FIELDS = frozenset((*NUMERIC_FIELDS, YEAR, ZIPCODE))
# Surrounding spaces allowed, as CSV readers (pandas among them) allow them.
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
# One C-level scan of a whole column: cells of only these characters go to one numpy
# cast, and a column with anything else (or a cell the cast refuses) is read cell by cell.
_SEP = "\x1f"
_PLAIN_NUMBERS = re.compile(rf"[0-9eE+\-.{_SEP}]*")
_PLAIN_DATES = re.compile(rf"(?:[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_SEP})*")
ZIP_MAX = 99999
PROBLEMS_SHOWN = 5  # per row: an error cell stays readable, and bounded

# A batch as columns: name → one cell per row. Text from a CSV (missing cells "" or
# None/NaN, as pandas reads them), or for numeric fields numbers already read (NaN = "").
type Table = Mapping[str, Sequence[Any] | np.ndarray]


@dataclass(frozen=True, slots=True)
class Checked:
    """One batch sorted into the rows to score and the rows with their problems."""

    scored: np.ndarray  # positions in the batch of the rows to score
    columns: dict[str, Any]  # their contract columns (as contract.to_columns), same order
    errors: dict[int, str]  # position → what is wrong with that row


def cell_value(field: str, text: str) -> Any:
    """The JSON value a non-empty CSV cell of `field` stands for."""
    return float(text) if field in NUMBER_FIELDS and _NUMBER.fullmatch(text) else text


def to_record(row: Mapping[str, str]) -> dict[str, Any]:
    """The JSON record a CSV row (header → cell text) stands for."""
    return {field: cell_value(field, text) for field, text in row.items() if text != ""}


def texts(cells: Sequence[Any] | np.ndarray) -> list[str]:
    """A column's cells as text, missing ones ("", None or NaN, by reader) as ""."""
    return ["" if c is None or (isinstance(c, float) and math.isnan(c)) else c for c in cells]


def _numbers(cells: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell as a float (NaN where empty) and whether it is a number or empty."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiu":
        return cells.astype(np.float64), np.ones(len(cells), dtype=bool)
    text = texts(cells)
    if _PLAIN_NUMBERS.fullmatch(_SEP.join(text)):
        array = np.array(text, dtype=object)
        try:
            values = np.where(array == "", "nan", array).astype(np.float64)
        except ValueError:  # "1e", "+", ".": not numbers after all
            pass
        else:
            return values, np.ones(len(text), dtype=bool)
    readable = np.array([t == "" or _NUMBER.fullmatch(t) is not None for t in text], dtype=bool)
    values = np.array(
        [float(t) if ok and t else math.nan for t, ok in zip(text, readable, strict=True)],
        dtype=np.float64,
    )
    return values, readable


_NOT_A_DAY = np.datetime64("NaT", "D")


def _day(text: str) -> np.datetime64:
    if len(text) != len("YYYY-MM-DD"):
        return _NOT_A_DAY
    try:
        return np.datetime64(text, "D")
    except ValueError:
        return _NOT_A_DAY


def _days(texts: list[str]) -> np.ndarray:
    """Each plain YYYY-MM-DD cell as a day; NaT for anything else (the contract decides)."""
    if _PLAIN_DATES.fullmatch(_SEP.join(texts) + _SEP):
        try:
            return np.array(texts, dtype="datetime64[D]")
        except ValueError:  # a cell like 2023-02-30
            pass
    return np.array([_day(t) for t in texts], dtype="datetime64[D]")


def _bad_strings(texts: list[str], *, required: bool) -> np.ndarray:
    return np.array(
        [(required or t != "") and (not t.strip() or len(t) > STRING_MAX) for t in texts],
        dtype=bool,
    )


def describe(problems: Iterable[tuple[str, str]]) -> str:
    """A row's problems as one bounded cell: `field: problem; ...`."""
    found = [f"{clip(field)}: {clip(problem, PROBLEM_MAX)}" for field, problem in problems]
    more = len(found) - PROBLEMS_SHOWN
    return "; ".join(found[:PROBLEMS_SHOWN]) + (f"; and {more} more" if more > 0 else "")


def check(table: Table, count: int) -> Checked:
    """Sort `count` rows into those to score (with their columns) and those with problems."""
    flagged = np.zeros(count, dtype=bool)
    if not set(table) <= ALL_FIELDS or not set(REQUIRED) <= set(table):
        flagged[:] = True  # every row has the problem; the contract words it
        return _verdicts(table, count, flagged, {}, np.array([], dtype="datetime64[D]"))
    numbers: dict[str, np.ndarray] = {}
    for name in NUMBER_FIELDS & set(table):
        values, readable = _numbers(table[name])
        numbers[name] = values
        flagged |= ~readable
        if name in BOUNDS:
            lower, upper = BOUNDS[name]
            flagged |= ~(np.isnan(values) | ((lower <= values) & (values <= upper)))
    zips = numbers[ZIPCODE]
    flagged |= ~((zips >= 0) & (zips <= ZIP_MAX) & (zips == np.floor(zips)))  # NaN: missing
    days = _days(texts(table[DATE]))
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    flagged |= np.isnat(days) | (years < YEAR_RANGE[0]) | (years > YEAR_RANGE[1])
    if YEAR in numbers:
        flagged |= ~(np.isnan(numbers[YEAR]) | (numbers[YEAR] == years))
    flagged |= _bad_strings(texts(table[CITY_FULL]), required=True)
    if CITY in table:
        flagged |= _bad_strings(texts(table[CITY]), required=False)
    return _verdicts(table, count, flagged, numbers, days)


def _verdicts(
    table: Table, count: int, flagged: np.ndarray, numbers: dict[str, np.ndarray], days: np.ndarray
) -> Checked:
    errors: dict[int, str] = {}
    cleared: list[dict[str, Any]] = []  # flagged, but the contract accepts them (e.g. timestamps)
    cleared_at: list[int] = []
    for position in np.flatnonzero(flagged).tolist():
        record = _record_at(table, position)
        problems = list(contract.field_problems(record))
        if problems:
            errors[position] = describe(problems)
        else:
            cleared_at.append(position)
            cleared.append(record)
    clean = np.flatnonzero(~flagged)
    columns: dict[str, Any] = {}
    if len(clean):
        columns = {
            DATE: days[clean],
            ZIPCODE: numbers[ZIPCODE][clean].astype(np.int64),
            CITY_FULL: [table[CITY_FULL][i] for i in clean.tolist()],
        }
        nothing = np.full(len(clean), math.nan)
        for name in NUMERIC_FIELDS:
            columns[name] = numbers[name][clean] if name in numbers else nothing
    if cleared:
        late = contract.to_columns(cleared)
        late[DATE] = np.array(late[DATE], dtype="datetime64[D]")
        columns = {
            name: np.concatenate([columns[name], late[name]]) if columns else late[name]
            for name in late
        }
    scored = np.concatenate([clean, np.array(cleared_at, dtype=np.int64)])
    return Checked(scored=scored, columns=columns, errors=errors)


def _record_at(table: Table, position: int) -> dict[str, Any]:
    """The JSON record one row of `table` stands for."""
    record: dict[str, Any] = {}
    for name, cells in table.items():
        cell = cells[position]
        if isinstance(cell, str):
            if cell != "":
                record[name] = cell_value(name, cell)
        elif cell is not None and not math.isnan(cell):
            record[name] = float(cell)
    return record
