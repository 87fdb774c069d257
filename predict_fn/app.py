"""Lambda entry point: HTTP routing only. event → parse → validate → predict → respond.

Artifacts load at import (Lambda's init phase), once per container, and one request's
whole way runs before the first real one (on-demand init, or SnapStart's snapshot).
"""

from __future__ import annotations

import binascii
import json
import time
from functools import partial
from http import HTTPStatus
from typing import Any

import numpy as np
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from predict_fn import (
    bodies,
    config,
    contract,
    drift,
    explain,
    features,
    http_event,
    snapstart,
    tracing,
)
from predict_fn.contract import LABEL, Problem, RequestError
from predict_fn.loader import ModelLoader, Unavailable
from predict_fn.model import regression_metrics, score

logger = Logger()
metrics = Metrics(namespace=config.metrics_namespace())
# allow_nan=False: a non-finite number must fail loudly (500, logged), never reach a
# client as the invalid JSON tokens NaN or Infinity.
_serialize = partial(json.dumps, allow_nan=False)
app = APIGatewayHttpResolver(serializer=_serialize)
loader = ModelLoader.start(fail_init=snapstart.SNAPSHOTTING)


def _json_body() -> Any:
    """The request body's JSON value; an undecodable body is a client error."""
    try:
        text = app.current_event.decoded_body
    except (binascii.Error, ValueError):  # Unicode{De,En}codeError are ValueErrors
        raise RequestError(
            400, "Body is not valid base64-encoded UTF-8", [Problem(None, "body", "cannot decode")]
        ) from None
    return contract.parse_json(text)


def _add_actuals(
    body: bodies.Prediction, records: list[dict[str, Any]], predictions: np.ndarray
) -> None:
    actuals = [r.get(LABEL) for r in records]
    body["actuals"] = actuals
    known = np.array([a is not None for a in actuals])
    if not known.any():
        return
    truth = np.array([a for a in actuals if a is not None], dtype=np.float64)
    scores = regression_metrics(truth, predictions[known])
    # No R²: undefined or misleading on a handful of records.
    body["metrics"] = {
        "mae": scores["mae"],
        "rmse": scores["rmse"],
        "mape": scores["mape"],
        "count": int(known.sum()),
    }


@app.post("/predict", responses=bodies.PREDICT)
def predict() -> Response[bodies.Prediction]:
    request = _json_body()
    records = contract.records_from_body(request, loader.max_records)
    explained = contract.explain_from_body(request, len(records), loader.max_explain_records)
    raw = contract.to_columns(records)
    bundle = loader.ready()
    # Same composition as model.predict, split so each half gets its own subsegment.
    with tracing.subsegment("## features"):
        matrix = features.matrix(raw, bundle.encoders, bundle.feature_order)
    with tracing.subsegment("## predict"):
        predictions = score(bundle, matrix)
    logger.append_keys(records=len(records))
    metrics.add_metric("RecordsPredicted", MetricUnit.Count, len(records))
    statistics = bundle.manifest.get("statistics")
    for name, count in drift.counts(raw, predictions, bundle.encoders, statistics).items():
        metrics.add_metric(name, MetricUnit.Count, count)
    body: bodies.Prediction = {
        "predictions": predictions.tolist(),
        "count": len(records),
        "model": {"version": bundle.version},
    }
    if any(LABEL in r for r in records):
        _add_actuals(body, records, predictions)
    if explained:
        with tracing.subsegment("## explain"):
            body["explanations"] = explain.explanations(bundle, matrix)
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, body)


@app.get("/health", responses=bodies.HEALTH)
def health() -> Response[bodies.Health]:
    try:
        bundle = loader.ready()
    except Unavailable:
        return _error(HTTPStatus.SERVICE_UNAVAILABLE, "Model not loaded", loaded=False)
    manifest = bundle.manifest
    payload: bodies.Health = {
        "status": "ok",
        "loaded": True,
        "model": {
            "version": bundle.version,
            "trained_at": manifest.get("trained_at"),
            "feature_count": len(bundle.feature_order),
            "metrics": manifest.get("metrics"),
            "training": manifest.get("training"),
            "statistics": drift.summary(manifest.get("statistics")),
            "artifacts": {
                name: {"key": entry.get("key"), "sha256": entry.get("sha256")}
                for name, entry in manifest.get("artifacts", {}).items()
            },
        },
        "load_ms": round(loader.load_ms or 0.0, 1),
    }
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, payload)


def _request_id() -> str:
    return contract.clip(app.current_event.request_context.request_id)


def _error(status: HTTPStatus, message: str, **extra: Any) -> Response[Any]:
    body = {"message": message, **extra, "request_id": _request_id()}
    return Response(status, content_types.APPLICATION_JSON, body)


def _rejected(exc: RequestError, request_id: str) -> dict[str, Any]:
    """The body of every 4xx the function answers, counted and logged."""
    logger.info("rejected request", extra={"status": exc.status, "problems": exc.total})
    metrics.add_metric("ValidationErrors", MetricUnit.Count, 1)
    return exc.body(request_id)


@app.exception_handler(RequestError)
def client_error(exc: RequestError) -> Response[Any]:
    return Response(exc.status, content_types.APPLICATION_JSON, _rejected(exc, _request_id()))


def _not_an_http_event(exc: RequestError, request_id: str) -> dict[str, Any]:
    """The resolver's response to a direct invoke it cannot read, built as it builds one."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": _serialize(_rejected(exc, request_id)),
        "isBase64Encoded": False,
        "cookies": [],
    }


@app.exception_handler(Unavailable)
def unavailable(exc: Unavailable) -> Response[Any]:
    logger.error("model unavailable", extra={"error": str(exc)})
    metrics.add_metric("Unavailable", MetricUnit.Count, 1)
    return _error(HTTPStatus.SERVICE_UNAVAILABLE, "Model unavailable, retry later")


@app.not_found
def not_found(_: NotFoundError) -> Response[Any]:
    # API Gateway answers unrouted requests itself (404, no invocation): only a direct
    # invoke gets here. Raised, so client_error answers it like every 4xx.
    route = f"{app.current_event.http_method} {app.current_event.path}"
    raise RequestError(
        404, "Not Found", [Problem(None, "path", f"has no route {contract.quote(route)}")]
    )


@app.exception_handler(Exception)
def internal_error(_: Exception) -> Response[Any]:
    logger.exception("unhandled error")
    metrics.add_metric("InternalErrors", MetricUnit.Count, 1)
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error")


# A record with only the required fields, as the probe predicts (predict_fn.model).
_WARM_UP = http_event.synthetic(
    "POST /predict",
    json.dumps({"records": [{"date": "2020-01-31", "zipcode": 0, "city_full": "warm-up"}]}),
)


def warm_up() -> None:
    """Send one request's whole way (JSON, contract, features, booster, serializer) so
    the first real request is as fast as a warm one; its own counts are taken back
    (its made-up record drifts every way there is)."""
    if loader.bundle is None:
        return
    app.resolve(_WARM_UP, LambdaContext())
    for name in ("RecordsPredicted", *drift.METRICS):
        metrics.metric_set.pop(name, None)


snapstart.register(warm_up, metrics)
if not snapstart.SNAPSHOTTING:  # SnapStart warms in its before-snapshot hook
    warm_up()


@tracing.capture_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
    log_event=loader.log_event,
    clear_state=True,
)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    started = time.perf_counter()
    if snapstart.first_request_after_restore():
        metrics.add_metric("Restores", MetricUnit.Count, 1)
    try:
        route = http_event.route_key(event)
    except RequestError as exc:
        route, response = None, _not_an_http_event(exc, context.aws_request_id)
    else:
        response = app.resolve(event, context)
    latency_ms = (time.perf_counter() - started) * 1000
    metrics.add_metric("Requests", MetricUnit.Count, 1)
    metrics.add_metric("Latency", MetricUnit.Milliseconds, latency_ms)
    logger.info(
        "request",
        extra={
            "route": route,
            "status": response.get("statusCode"),
            "init_type": snapstart.INIT_TYPE,
            "latency_ms": round(latency_ms, 2),
        },
    )
    return response
