"""A progress bar over LightGBM's boosting rounds, on stderr: stdout carries the results."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lightgbm.callback import CallbackEnv
from tqdm import tqdm


@contextmanager
def boosting_rounds(total: int) -> Iterator[Callable[[CallbackEnv], None]]:
    """A LightGBM callback that advances a bar of `total` rounds, one per round.

    The bar draws only when stderr is a terminal (`disable=None`), so logs and captured
    output stay free of carriage-return noise.
    """
    with tqdm(total=total, desc="boosting", unit="round", file=sys.stderr, disable=None) as bar:

        def advance(env: CallbackEnv) -> None:
            bar.update(1)

        yield advance
