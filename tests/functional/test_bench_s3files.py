"""The benchmarks' read-only S3 endpoint answers boto3 the way S3 does for reads."""

from __future__ import annotations

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from bench.s3files import UnsatisfiableRangeError, parse_range, serve

BODY = bytes(range(256)) * 1000  # 256,000 bytes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 255_999)),
        ("bytes=-10", (255_990, 255_999)),
        ("bytes=0-999999", (0, 255_999)),
        ("bytes=-999999", (0, 255_999)),
        ("bytes=5-2", None),  # S3 ignores an inverted range
        ("bytes=0-1,4-5", None),
        ("items=0-9", None),
        ("bytes=x-y", None),
        ("", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, len(BODY)) == expected


@pytest.mark.parametrize("header", ["bytes=256000-", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(UnsatisfiableRangeError):
        parse_range(header, len(BODY))


@pytest.fixture
def s3(tmp_path):
    (tmp_path / "bucket-a" / "dir").mkdir(parents=True)
    (tmp_path / "bucket-a" / "dir" / "blob.bin").write_bytes(BODY)
    with serve(tmp_path) as endpoint:
        yield boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def test_get_head_and_ranges(s3):
    assert s3.get_object(Bucket="bucket-a", Key="dir/blob.bin")["Body"].read() == BODY
    assert s3.head_object(Bucket="bucket-a", Key="dir/blob.bin")["ContentLength"] == len(BODY)
    part = s3.get_object(Bucket="bucket-a", Key="dir/blob.bin", Range="bytes=1000-1999")
    assert part["ContentRange"] == f"bytes 1000-1999/{len(BODY)}"
    assert part["Body"].read() == BODY[1000:2000]


def test_errors_are_s3_errors(s3):
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="bucket-a", Key="dir/nope.bin")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as past_end:
        s3.get_object(Bucket="bucket-a", Key="dir/blob.bin", Range=f"bytes={len(BODY)}-")
    assert past_end.value.response["Error"]["Code"] == "InvalidRange"
    with pytest.raises(ClientError):
        s3.get_object(Bucket="bucket-a", Key="../bucket-a/dir/blob.bin")


def test_multipart_download(s3, tmp_path):
    """download_file in ranged parts on several threads, as the reference handler does."""
    config = TransferConfig(multipart_threshold=64 * 1024, multipart_chunksize=64 * 1024)
    target = tmp_path / "copy.bin"
    s3.download_file("bucket-a", "dir/blob.bin", str(target), Config=config)
    assert target.read_bytes() == BODY
