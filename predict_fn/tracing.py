"""X-Ray subsegments through Powertools Tracer, built only when the function traces.

Importing the X-Ray SDK costs 0.1-0.2 s of every cold start, and with the default
TracingMode (PassThrough) nothing would be recorded, so without tracing these are
no-ops and the SDK is never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from predict_fn import config


def _tracer() -> Any:
    if not config.tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


_TRACER = _tracer()


def subsegment(name: str) -> AbstractContextManager[Any]:
    """An X-Ray subsegment around a block (artifact fetch, features, prediction)."""
    return _TRACER.provider.in_subsegment(name) if _TRACER else nullcontext()


def capture_handler[F: Callable[..., Any]](handler: F) -> F:
    """Trace each invocation; responses hold customer predictions, so they are not recorded."""
    return _TRACER.capture_lambda_handler(handler, capture_response=False) if _TRACER else handler
