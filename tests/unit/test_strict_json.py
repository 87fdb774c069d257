"""predict_fn.strict_json: what json.loads would lose or refuse comes back as a marker."""

from __future__ import annotations

import json

import pytest

from predict_fn.strict_json import NotJson, RepeatedKeys, loads


def test_valid_text_reads_as_json_loads_does() -> None:
    text = '{"records": [{"a": 1, "b": [1.5, null, true, "x"]}]}'
    value = loads(text)
    assert value == json.loads(text)
    assert type(value) is dict and type(value["records"][0]) is dict


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_tokens_become_markers_that_say_send_null(token: str) -> None:
    (value,) = loads(f"[{token}]")
    assert isinstance(value, NotJson)
    assert token in value.description and "send null" in value.description


def test_an_integer_past_the_conversion_limit_becomes_a_marker() -> None:
    value = loads('{"zipcode": ' + "9" * 5000 + ', "ok": 12}')
    assert isinstance(value["zipcode"], NotJson)
    assert "5000 digits" in value["zipcode"].description
    assert value["ok"] == 12  # the other integers still read as integers


def test_repeated_keys_are_counted_and_the_last_value_kept() -> None:
    value = loads('{"a": 1, "a": 2, "a": 3, "b": 4}')
    assert isinstance(value, RepeatedKeys)
    assert value == {"a": 3, "b": 4}
    assert value.counts == {"a": 3}


@pytest.mark.parametrize("text", ["", "{", "[1,]", "nul"])
def test_text_that_is_not_json_still_raises(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(text)
