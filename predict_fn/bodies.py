"""The JSON bodies the routes answer, as types, and each route's statuses.

The routes are annotated with these (`-> Response[Prediction]`, `responses=`), so a
generated API description cannot drift from the code. Plain typing only: nothing
here is checked at run time, and the function ships no validation library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse


class ModelRef(TypedDict):
    version: str


class Metrics(TypedDict):
    mae: float
    rmse: float
    mape: float
    count: int


class Explanation(TypedDict):
    """baseline + sum(contributions) is the prediction; largest contribution first."""

    baseline: float
    contributions: dict[str, float]


class Prediction(TypedDict):
    predictions: list[float]
    count: int
    model: ModelRef
    actuals: NotRequired[list[float | None]]
    metrics: NotRequired[Metrics]
    explanations: NotRequired[list[Explanation]]


class ArtifactDigest(TypedDict):
    key: str | None
    sha256: str | None


class PredictionRange(TypedDict):
    min: float | None
    max: float | None


class TrainingStatistics(TypedDict):
    """What drift is measured against: how many inputs, zipcodes and cities training saw,
    and the range of its predictions on the training rows."""

    inputs: int
    zipcodes: int
    cities: int
    predictions: PredictionRange


class ServedModel(TypedDict):
    version: str
    trained_at: str | None
    feature_count: int
    metrics: dict[str, Any] | None
    training: dict[str, Any] | None
    # None: the manifest predates training statistics, and drift is not measured.
    statistics: TrainingStatistics | None
    artifacts: dict[str, ArtifactDigest]


class Health(TypedDict):
    status: Literal["ok"]
    loaded: Literal[True]
    model: ServedModel
    load_ms: float


class ProblemEntry(TypedDict):
    record: int | None
    field: str | None
    problem: str


class FunctionError(TypedDict):
    """Every error the function answers has this shape."""

    message: str
    errors: NotRequired[list[ProblemEntry]]
    omitted: NotRequired[int]
    loaded: NotRequired[bool]
    request_id: str


class GatewayError(TypedDict):
    """An error API Gateway answers itself; the function never ran."""

    message: str


def _json(model: Any, description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


_INTERNAL = _json(FunctionError | GatewayError, "A bug (function) or a Lambda error (gateway)")
# The 200 body of each route comes from its return annotation.
PREDICT: dict[int, OpenAPIResponse] = {
    200: {"description": "One prediction per record, in request order"},
    400: _json(
        FunctionError,
        "Body not JSON, not an object, with unknown or repeated keys, or explain not a boolean",
    ),
    413: _json(
        FunctionError | GatewayError,
        "Too many records (to predict, or to explain), or a body over 10 MB",
    ),
    422: _json(FunctionError, "No records, or invalid records"),
    500: _INTERNAL,
    503: _json(FunctionError | GatewayError, "Model not loaded (retry later), or a timeout"),
}
HEALTH: dict[int, OpenAPIResponse] = {
    200: {"description": "The served model"},
    500: _INTERNAL,
    503: _json(FunctionError | GatewayError, "Model not loaded (loaded: false), or a timeout"),
}
