"""SnapStart: what runs before Lambda snapshots an initialised container, and after it
restores a copy of it.

Lambda runs only the hooks registered through snapshot_restore_py (it ships in the
Python runtime; the dev env installs it from PyPI) by a module the handler imports,
so app.py imports this one. Powertools knows nothing of restores: its cold-start flag
is still set in the snapshot, so each restored copy would report a cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider import cold_start
from snapshot_restore_py import register_after_restore, register_before_snapshot

# "on-demand", "provisioned-concurrency" or "snap-start"; a restored copy keeps the
# value of the init that made its snapshot.
INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
SNAPSHOTTING = INIT_TYPE == "snap-start"

_restored = False


def register(warm_up: Callable[[], None], metrics: Metrics) -> None:
    """Warm the hot path before the snapshot; after a restore, drop what must not be shared."""

    def before_snapshot() -> None:
        warm_up()
        # Init's metrics (model load time) describe the snapshot, not each restored copy.
        metrics.clear_metrics()

    def after_restore() -> None:
        global _restored
        # Every copy resolves its own credentials: the next S3 client (a reload) gets
        # a fresh session instead of the one cached in the snapshot.
        boto3.DEFAULT_SESSION = None
        cold_start.is_cold_start = False
        powertools_logger.is_cold_start = False
        _restored = True

    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)


def first_request_after_restore() -> bool:
    """True once per restore: the request that counts as a `Restores` metric."""
    global _restored
    restored, _restored = _restored, False
    return restored
