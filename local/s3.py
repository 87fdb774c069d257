"""S3 on loopback for local runs: moto_server as a child process, seeded with artifacts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3

BUCKET = "housets-artifacts-local"
EnvVars = dict[str, dict[str, str]]  # as `sam local --env-vars`: {"Parameters" or function: {...}}
# moto accepts any credentials; fixed fake ones guarantee nothing real is ever sent.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
START_TIMEOUT = 30.0
# Would send a request elsewhere than to moto, or sign it with something real.
_REAL_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")


def use_fake_credentials() -> None:
    """Only moto's credentials in this process, which SAM hands on to the function."""
    for name in _REAL_AWS:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)


def local_s3_env_vars(env_vars: Mapping[str, Mapping[str, str]], endpoint: str) -> EnvVars:
    """`env_vars` (as `--env-vars`) with every function reading BUCKET from moto at `endpoint`.

    A function's own entry wins over "Parameters" in SAM, so each entry gets them.
    """
    local = {"S3_BUCKET": BUCKET, "AWS_ENDPOINT_URL_S3": endpoint}
    return {name: {**values, **local} for name, values in {"Parameters": {}, **env_vars}.items()}


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks; the caller binds it soon after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float) -> None:
    """Block until something accepts on 127.0.0.1:port; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def stop(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; always reaps the child."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=FAKE_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass(frozen=True, slots=True)
class MotoServer:
    endpoint: str
    port: int
    process: subprocess.Popen[bytes]


@contextmanager
def moto_server(
    log: IO[bytes] | int = subprocess.DEVNULL, port: int | None = None
) -> Iterator[MotoServer]:
    """Run moto_server on `port` (default: a free loopback port) until the block exits."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, START_TIMEOUT)
        yield MotoServer(f"http://127.0.0.1:{port}", port, process)
    finally:
        stop(process)


def seed(s3: Any, bucket: str, artifacts: Path) -> list[str]:
    """Create the bucket and upload the trained tree, whose paths are the S3 keys."""
    s3.create_bucket(Bucket=bucket)
    keys = []
    for path in sorted(p for p in artifacts.rglob("*") if p.is_file()):
        key = path.relative_to(artifacts).as_posix()
        s3.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys
