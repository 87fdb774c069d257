"""JSON text → Python values, keeping in view what json.loads would lose or refuse.

json.loads keeps the last of repeated keys silently, and fails the whole text on
NaN/Infinity (which json.dumps writes for a pandas NaN) or on an integer over
Python's int-conversion limit, so no error could name the record and field. Here
those come back as markers the request contract describes where they stand.

Pure stdlib: the valid path is the C scanner, as json.loads.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

_SEND_NULL = "which JSON cannot carry: send null for a missing value"


@dataclass(frozen=True, slots=True)
class NotJson:
    """A value the text spelled that JSON cannot carry; `description` says which."""

    description: str


class RepeatedKeys(dict[str, Any]):
    """An object that named a key more than once; it holds the last value, as json.loads."""

    __slots__ = ("counts",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.counts = {key: n for key, n in Counter(key for key, _ in pairs).items() if n > 1}


_CONSTANTS = {name: NotJson(f"{name}, {_SEND_NULL}") for name in ("NaN", "Infinity", "-Infinity")}


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    # Fewer keys than pairs: some key was repeated (rare, so the counting waits for it).
    return obj if len(obj) == len(pairs) else RepeatedKeys(pairs)


def _int(digits: str) -> int | NotJson:
    try:
        return int(digits)
    except ValueError:  # over sys.get_int_max_str_digits()
        return NotJson(f"an integer of {len(digits.lstrip('-'))} digits, more than can be read")


# parse_constant runs only for the NaN/Infinity tokens, so it costs valid text nothing.
_DECODER = json.JSONDecoder(parse_constant=_CONSTANTS.__getitem__, object_pairs_hook=_object)
# A Python call per integer: used only after the C-speed parse met an over-long one.
_BIG_INT_DECODER = json.JSONDecoder(
    parse_constant=_CONSTANTS.__getitem__, object_pairs_hook=_object, parse_int=_int
)


def loads(text: str) -> Any:
    """The value of `text`; json.JSONDecodeError if it is not JSON, RecursionError if too deep."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # the int-conversion limit is the only other ValueError
        return _BIG_INT_DECODER.decode(text)
