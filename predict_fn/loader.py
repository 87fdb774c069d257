"""The model of this container: settings and the bundle, loaded in the init phase.

On-demand, a failed load never crashes init; the error is kept, each request retries
the load and answers 503 until it works. Under SnapStart a failed load fails init.
A loaded model serves only after a probe prediction: a digest proves the bytes are
the ones published, not that they can predict. The warm path only reads `bundle`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from predict_fn import artifacts, config, tracing
from predict_fn.artifacts import ArtifactError
from predict_fn.config import ConfigError, Settings
from predict_fn.model import Bundle, ProbeFailed, probe

logger = Logger(child=True)
# Metrics share one buffer per process; the handler's log_metrics flushes what init added.
metrics = Metrics(namespace=config.metrics_namespace())


class Unavailable(RuntimeError):
    """The model cannot be served right now (→ 503); the next request retries."""


class InitFailed(RuntimeError):
    """A SnapStart init without its model: raised out of init so the deploy fails loudly."""


class ModelLoader:
    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.bundle: Bundle | None = None
        self.error: str | None = None
        self.load_ms: float | None = None
        # Lambda sends one request at a time; the lock only guards local servers
        # that might not, so a load never runs twice at once.
        self._lock = threading.Lock()

    @classmethod
    def start(cls, *, fail_init: bool = False) -> ModelLoader:
        """Load at init. With `fail_init` (SnapStart) a failed load raises, so Lambda fails
        the init and never publishes a version whose snapshot holds no model."""
        loader = cls()
        loader.try_load()
        if fail_init and loader.bundle is None:
            raise InitFailed(loader.error or "model not loaded")
        return loader

    @property
    def log_event(self) -> bool:
        return bool(self.settings and self.settings.log_event)

    @property
    def bucket(self) -> str:
        """The artifact bucket, which also holds batch input and output (config.py)."""
        if self.settings is None:
            raise Unavailable(self.error or "settings not loaded")
        return self.settings.bucket

    @property
    def max_records(self) -> int:
        return self.settings.max_records if self.settings else config.MAX_RECORDS

    @property
    def max_explain_records(self) -> int:
        return self.settings.max_explain_records if self.settings else config.MAX_EXPLAIN_RECORDS

    def try_load(self) -> None:
        with self._lock:
            if self.bundle is not None:
                return
            started = time.perf_counter()
            try:
                self.settings = self.settings or config.load()
                with tracing.subsegment("## artifact fetch"):
                    result = artifacts.load(self.settings)
                probe(result.bundle)
            except (ConfigError, ArtifactError, ProbeFailed) as exc:
                self.error = str(exc)
                logger.error("artifact load failed", extra={"error": self.error})
                metrics.add_metric("ArtifactLoadFailures", MetricUnit.Count, 1)
                return
            for fetch in result.fetches:
                logger.info("artifact", extra={"artifact": asdict(fetch)})
            self.bundle, self.error = result.bundle, None
            self.load_ms = (time.perf_counter() - started) * 1000
            metrics.add_metric("ModelLoadTime", MetricUnit.Milliseconds, self.load_ms)
            logger.info(
                "model loaded",
                extra={"model_version": self.bundle.version, "load_ms": round(self.load_ms, 1)},
            )

    def ready(self) -> Bundle:
        """The bundle, loading it first if an earlier attempt failed; else Unavailable."""
        if self.bundle is None:
            self.try_load()
        if self.bundle is None:
            raise Unavailable(self.error or "model not loaded")
        return self.bundle
