"""Issue 13 acceptance 2: `"explain": true` through the handler, and its bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import BUCKET, REAL_SAMPLE, http_event, to_records, upload

from predict_fn import config
from predict_fn.explain import display_names


def explain_event(records: list[dict[str, Any]], explain: Any = True) -> dict[str, Any]:
    return http_event("POST", "/predict", {"records": records, "explain": explain})


@pytest.fixture(scope="module")
def real_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Artifacts trained on the real sample, and every row of the sample as a record."""
    from training import pipeline

    out = tmp_path_factory.mktemp("real")
    frame = pipeline.read_housets(REAL_SAMPLE)
    pipeline.write_artifacts(pipeline.train(frame), out, REAL_SAMPLE.name)
    return out, to_records(frame)


@pytest.mark.skipif(not REAL_SAMPLE.exists(), reason=f"{REAL_SAMPLE} not present")
def test_contributions_add_up_to_each_prediction_on_the_real_sample(
    real_tree, s3, fresh_app, invoke
) -> None:
    out, records = real_tree
    upload(s3, out, BUCKET)  # replaces the demo artifacts the s3 fixture uploaded
    app = fresh_app()
    names = set(display_names(app.loader.bundle.feature_order))
    step = config.MAX_EXPLAIN_RECORDS
    for start in range(0, len(records), step):
        batch = records[start : start + step]
        status, body = invoke(app, explain_event(batch))
        assert status == 200, body
        assert len(body["explanations"]) == body["count"] == len(batch)
        for prediction, explanation in zip(body["predictions"], body["explanations"], strict=True):
            contributions = explanation["contributions"]
            assert set(contributions) == names
            magnitudes = [abs(c) for c in contributions.values()]
            assert magnitudes == sorted(magnitudes, reverse=True)
            total = explanation["baseline"] + sum(contributions.values())
            assert total == pytest.approx(prediction, rel=1e-6)
    assert len(records) > 10 * step  # the whole sample, not one easy batch


def test_more_records_than_the_bound_are_refused_only_when_explained(
    app_module, invoke, demo_records
) -> None:
    records = demo_records(config.MAX_EXPLAIN_RECORDS + 1)
    status, body = invoke(app_module, explain_event(records))
    assert status == 413
    assert [(e["record"], e["field"]) for e in body["errors"]] == [(None, "records")]
    assert str(config.MAX_EXPLAIN_RECORDS) in body["errors"][0]["problem"]
    for explain in (False, None):
        body_of = (
            {"records": records} if explain is None else {"records": records, "explain": False}
        )
        status, body = invoke(app_module, http_event("POST", "/predict", body_of))
        assert status == 200 and body["count"] == len(records)
        assert "explanations" not in body


def test_the_bound_comes_from_the_environment(
    s3, fresh_app, invoke, demo_records, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_EXPLAIN_RECORDS", "2")
    app = fresh_app()
    assert invoke(app, explain_event(demo_records(2)))[0] == 200
    status, body = invoke(app, explain_event(demo_records(3)))
    assert status == 413 and "3 > 2" in body["message"]


@pytest.mark.parametrize("explain", ["true", 1, None, [True], {"records": True}])
def test_explain_must_be_a_boolean(app_module, invoke, demo_records, explain) -> None:
    status, body = invoke(app_module, explain_event(demo_records(1), explain))
    assert status == 400
    assert [(e["record"], e["field"]) for e in body["errors"]] == [(None, "explain")]
    assert "true or false" in body["errors"][0]["problem"]
