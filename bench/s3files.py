"""A read-only S3 endpoint on loopback that serves a folder: GetObject and HeadObject only.

moto copies an object's whole body for every GET, ranged GETs included (moto 5.x
`FakeKey.value`). A 64 KiB range of the 370 MB training CSV then takes about 200 ms,
and a multipart download copies the object once per 8 MiB part. That cost belongs to
the emulator, and it would make the 1M-row scenario measure moto. S3 serves a range
in time that does not depend on the object's size, and so does this endpoint, with
sendfile from the page cache. Against it the reference's download is faster than from
real S3, so the comparison leans in the reference's favour.

Buckets are the folder's subfolders (path-style URLs, as boto3 uses for an IP
endpoint). Ranges follow RFC 9110 as S3 does. If-Match is ignored because the files
do not change during a run. Anything else gets S3's NotImplemented error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class UnsatisfiableRangeError(ValueError):
    """The range starts past the end of the object: S3 answers 416 InvalidRange."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) byte of a single `bytes=` range, or None to ignore the header.

    Like S3: several ranges, another unit or a malformed spec mean the whole object.
    """
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip() != "bytes" or "," in spec or not dash:
        return None
    try:
        start = int(first) if first else None
        end = int(last) if last else None
    except ValueError:
        return None
    if start is None:  # suffix range: the last `end` bytes
        if not end or not size:
            raise UnsatisfiableRangeError(header)
        return max(0, size - end), size - 1
    if start >= size:
        raise UnsatisfiableRangeError(header)
    if end is not None and end < start:
        return None
    return start, size - 1 if end is None else min(end, size - 1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # Headers and body leave in separate writes; with Nagle on, the body of every
    # request after the first on a connection waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the benchmark's terminal is for results."""

    def do_GET(self) -> None:
        self._object(with_body=True)

    def do_HEAD(self) -> None:
        self._object(with_body=False)

    def do_PUT(self) -> None:
        self._error(HTTPStatus.NOT_IMPLEMENTED, "NotImplemented", "read-only endpoint")

    do_POST = do_DELETE = do_PUT

    def _file(self) -> Path | None:
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/")[1:]]
        if len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
            return None
        path = self.server.root.joinpath(*parts)
        return path if path.is_file() else None

    def _object(self, *, with_body: bool) -> None:
        path = self._file()
        if path is None:
            self._error(HTTPStatus.NOT_FOUND, "NoSuchKey", "The specified key does not exist.")
            return
        stat = path.stat()
        first, last = 0, stat.st_size - 1
        status = HTTPStatus.OK
        try:
            ranged = parse_range(self.headers.get("Range", ""), stat.st_size)
        except UnsatisfiableRangeError:
            self._error(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            )
            return
        if ranged is not None:
            (first, last), status = ranged, HTTPStatus.PARTIAL_CONTENT
        length = max(0, last - first + 1)
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.send_header("Content-Type", "binary/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        # Identifies this version of the file; S3's multipart ETags are not MD5s either.
        self.send_header("ETag", f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"')
        self.send_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {first}-{last}/{stat.st_size}")
        self.end_headers()
        if with_body and length:
            with path.open("rb") as handle:
                self.connection.sendfile(handle, first, length)

    def _error(self, status: HTTPStatus, code: str, message: str) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` (one subfolder per bucket) until the block exits; yields the endpoint."""
    server = _Server(root)
    thread = threading.Thread(target=server.serve_forever, name="s3files", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
