"""S3FileIO against moto with SigV4 enforced: round trips, pagination, multipart, errors and injected faults.

Each test runs the Swift driver (one S3FileIO operation per run, see s3_support.S3Driver) against a moto server
that rejects any request not signed by its IAM user's key, and checks the result with boto3, an independent
client. The fault tests put a proxy between the driver and moto that answers 503 SlowDown / 500 or drops
connections for a share of requests; every operation must still succeed through retries.

Needs `moto[server]` and boto3 in the venv and the driver binary: $FLOE_S3_INTEROP_BIN or
`.build/debug/floe-s3-interop` (built by `swift build --product floe-s3-interop`).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="pip install 'moto[server]' boto3 into the venv")
pytest.importorskip("boto3")

from s3_support import FaultProxy, MotoS3, S3Driver, interop_binary  # noqa: E402

MiB = 1 << 20
AWKWARD_KEYS = [
    "events/data/plain.parquet",
    "events/data/type=track/with space.parquet",
    "events/data/plus+sign/100%25%/percent.parquet",
    "events/data/ünïcødé/日本語 ☃.parquet",
    "events/data/a/./b/../c//double-slash",
    "events/data/reserved !$&'()*,;=:@[]~.bin",
]


@pytest.fixture(scope="module")
def driver_binary() -> Path:
    binary = interop_binary()
    if binary is None:
        pytest.skip("no S3 driver: set FLOE_S3_INTEROP_BIN or build floe-s3-interop")
    return binary


@pytest.fixture
def s3(moto: MotoS3, driver_binary: Path) -> S3Driver:
    return S3Driver(driver_binary, moto.endpoint, moto.access_key_id, moto.secret_access_key)


@pytest.fixture
def bucket(moto: MotoS3) -> str:
    return moto.new_bucket()


@pytest.fixture
def proxy_factory(moto: MotoS3):
    proxies: list[FaultProxy] = []

    def make(plan) -> FaultProxy:
        proxy = FaultProxy(moto.port, plan).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def multipart_etag(data: bytes, part_size: int) -> str:
    """The ETag S3 gives a multipart object uploaded in `part_size` parts: MD5 of the part MD5s, dash, count."""
    digests = [hashlib.md5(data[offset:offset + part_size]).digest() for offset in range(0, len(data), part_size)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_put_get_head_delete_round_trip(s3: S3Driver, moto: MotoS3, bucket: str, key: str, tmp_path: Path):
    data = os.urandom(1000) + key.encode()
    location = f"s3://{bucket}/{key}"
    s3.ok("put", location, str(write(tmp_path, "in", data)))

    # boto3 finds the object under exactly this key: the key was encoded once, not normalised.
    assert moto.client().get_object(Bucket=bucket, Key=key)["Body"].read() == data
    s3.ok("get", location, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == data
    assert s3.ok("head", location).stdout.strip() == f'{{"size": {len(data)}, "etag": "{hashlib.md5(data).hexdigest()}"}}'
    assert s3.ok("exists", location).stdout.strip() == "true"
    assert s3.ok("list", f"s3://{bucket}/events/").stdout.splitlines() == [location]

    s3.ok("delete", location)
    assert s3.ok("exists", location).stdout.strip() == "false"
    assert moto.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    s3.ok("delete", location)  # deleting a missing object succeeds


def test_unsigned_payload_is_accepted(s3: S3Driver, moto: MotoS3, bucket: str, tmp_path: Path):
    data = b"unsigned payload body"
    s3.ok("put", f"s3://{bucket}/u.bin", str(write(tmp_path, "in", data)), UNSIGNED="true")
    assert moto.client().get_object(Bucket=bucket, Key="u.bin")["Body"].read() == data


def test_range_reads(s3: S3Driver, bucket: str, tmp_path: Path):
    data = bytes(range(256)) * 40
    location = f"s3://{bucket}/ranged.bin"
    s3.ok("put", location, str(write(tmp_path, "in", data)))
    for start, end in [(0, 1), (4, 1028), (10_000, 10_240), (10_200, 20_000)]:
        s3.ok("get-range", location, str(start), str(end), str(tmp_path / "part"))
        assert (tmp_path / "part").read_bytes() == data[start:end], (start, end)


def test_if_absent_refuses_to_overwrite(s3: S3Driver, moto: MotoS3, bucket: str, tmp_path: Path):
    location = f"s3://{bucket}/metadata/v1.metadata.json"
    s3.ok("put", location, str(write(tmp_path, "a", b"first")), "--if-absent")
    result = s3.run("put", location, str(write(tmp_path, "b", b"second")), "--if-absent")
    assert result.returncode == 2
    assert result.error["context"]["http.status"] == "412"
    assert result.error["context"]["s3.code"] == "PreconditionFailed"
    assert "already exists" in result.error["message"]
    assert moto.client().get_object(Bucket=bucket, Key="metadata/v1.metadata.json")["Body"].read() == b"first"


# ------------------------------------------------------------------------------------------------ listings


@pytest.mark.parametrize("page_size", ["1000", "7"])
def test_list_follows_continuation_tokens(s3: S3Driver, moto: MotoS3, bucket: str, page_size: str):
    s3.ok("put-many", f"s3://{bucket}/many/", "1005")
    s3.ok("put-many", f"s3://{bucket}/other/", "3")
    listed = s3.ok("list", f"s3://{bucket}/many/", LIST_PAGE_SIZE=page_size).stdout.splitlines()
    expected = [f"s3://{bucket}/{item['Key']}" for page in
                moto.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="many/")
                for item in page.get("Contents", [])]
    assert len(listed) == 1005
    assert listed == sorted(expected)
    everything = s3.ok("list", f"s3://{bucket}", LIST_PAGE_SIZE=page_size).stdout.splitlines()
    assert len(everything) == 1008


# ---------------------------------------------------------------------------------------------- multipart


def test_multipart_upload_of_40_mib_round_trips(s3: S3Driver, moto: MotoS3, bucket: str, tmp_path: Path):
    data = os.urandom(40 * MiB)
    location = f"s3://{bucket}/events/data/big.parquet"
    s3.ok("put", location, str(write(tmp_path, "big", data)), PART_SIZE=str(6 * MiB), MAX_CONCURRENT_PARTS="3")

    head = moto.client().head_object(Bucket=bucket, Key="events/data/big.parquet")
    # Seven parts of exactly 6 MiB but the last (4 MiB): only that split gives this ETag.
    assert head["ETag"] == multipart_etag(data, 6 * MiB)
    assert head["ContentLength"] == len(data)
    s3.ok("get", location, str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data
    assert moto.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_failed_multipart_upload_is_aborted(s3: S3Driver, moto: MotoS3, bucket: str, tmp_path: Path,
                                            proxy_factory):
    proxy = proxy_factory(lambda seq, method, path: "403" if "partNumber=3" in path else "forward")
    data = os.urandom(20 * MiB)
    result = s3.run("put", f"s3://{bucket}/aborted.bin", str(write(tmp_path, "big", data)),
                    ENDPOINT=proxy.endpoint, PART_SIZE=str(5 * MiB))
    assert result.returncode == 2
    assert result.error["context"]["operation"] == "UploadPart"
    assert result.error["context"]["http.status"] == "403"
    assert any(request.method == "DELETE" and "uploadId=" in request.path for request in proxy.seen)
    assert moto.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert moto.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_temporary_credentials_sign_with_their_session_token(s3: S3Driver, moto: MotoS3, bucket: str,
                                                             tmp_path: Path):
    iam = moto.client("iam")
    iam.create_role(RoleName="floe-writer", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="floe-writer", PolicyName="allow-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    role = iam.get_role(RoleName="floe-writer")["Role"]["Arn"]
    vended = moto.client("sts").assume_role(RoleArn=role, RoleSessionName="floe")["Credentials"]
    temporary = S3Driver(s3.binary, moto.endpoint, vended["AccessKeyId"], vended["SecretAccessKey"],
                         {"SESSION_TOKEN": vended["SessionToken"]})

    temporary.ok("put", f"s3://{bucket}/sts.bin", str(write(tmp_path, "in", b"temporary")))
    assert moto.client().get_object(Bucket=bucket, Key="sts.bin")["Body"].read() == b"temporary"
    bogus = temporary.run("get", f"s3://{bucket}/sts.bin", str(tmp_path / "o"), SESSION_TOKEN="bogus-token-value")
    assert bogus.returncode == 2 and bogus.error["context"]["s3.code"] == "InvalidToken"
    assert "bogus-token-value" not in bogus.stderr and vended["SecretAccessKey"] not in bogus.stderr


# ------------------------------------------------------------------------------------------------- errors


def test_wrong_secret_is_refused_with_a_clear_error(s3: S3Driver, bucket: str, tmp_path: Path):
    wrong = "not-the-secret-" + "x" * 25
    result = s3.run("put", f"s3://{bucket}/k", str(write(tmp_path, "in", b"data")), SECRET_ACCESS_KEY=wrong)
    assert result.returncode == 2
    error = result.error
    assert error["code"] == "credentialsRefused"
    assert error["context"]["http.status"] == "403"
    assert error["context"]["s3.code"] == "SignatureDoesNotMatch"
    assert error["context"]["bucket"] == bucket and error["context"]["key"] == "k"
    assert "secret access key is probably wrong" in error["message"]
    assert not error["retryable"]
    assert wrong not in result.stderr


def test_unknown_access_key_and_missing_bucket_and_key(s3: S3Driver, bucket: str, tmp_path: Path):
    unknown = s3.run("get", f"s3://{bucket}/k", str(tmp_path / "o"), ACCESS_KEY_ID="AKIAUNKNOWNUNKNOWN00")
    assert unknown.returncode == 2 and unknown.error["context"]["http.status"] == "403"
    assert unknown.error["context"]["s3.code"] == "InvalidAccessKeyId"

    no_bucket = s3.run("get", "s3://no-such-bucket-floe/k", str(tmp_path / "o"))
    assert no_bucket.returncode == 2
    assert no_bucket.error["context"]["s3.code"] == "NoSuchBucket"
    assert "no-such-bucket-floe" in no_bucket.error["description"]

    no_key = s3.run("get", f"s3://{bucket}/missing/key", str(tmp_path / "o"))
    assert no_key.returncode == 3
    assert no_key.error["code"] == "notFound"
    assert no_key.error["context"]["key"] == "missing/key"


# ------------------------------------------------------------------------------------------------- faults


class FirstAttemptFaults:
    """Every other distinct request fails on its first attempt, cycling 503 SlowDown, a dropped connection and
    500 InternalError; its retry (same method and target) goes through. Concurrency cannot make one request
    unlucky more than once, so five attempts always suffice."""

    def __init__(self) -> None:
        self.attempts: dict[tuple[str, str], int] = {}
        self.distinct = 0

    def __call__(self, seq: int, method: str, path: str) -> str:
        attempt = self.attempts.get((method, path), 0)
        self.attempts[(method, path)] = attempt + 1
        if attempt > 0:
            return "forward"
        self.distinct += 1
        return ["forward", "503", "forward", "drop", "forward", "500"][self.distinct % 6]


def test_operations_survive_throttling_and_dropped_connections(s3: S3Driver, moto: MotoS3, bucket: str,
                                                              tmp_path: Path, proxy_factory):
    proxy = proxy_factory(FirstAttemptFaults())
    faulty = S3Driver(s3.binary, proxy.endpoint, s3.access_key_id, s3.secret_access_key)
    small = os.urandom(3000)
    big = os.urandom(12 * MiB)

    for run in [
        faulty.ok("put", f"s3://{bucket}/f/small.bin", str(write(tmp_path, "small", small))),
        faulty.ok("put", f"s3://{bucket}/f/big.bin", str(write(tmp_path, "big", big)),
                  MULTIPART_THRESHOLD=str(5 * MiB), PART_SIZE=str(5 * MiB)),
        faulty.ok("put-many", f"s3://{bucket}/f/many/", "30"),
        faulty.ok("get", f"s3://{bucket}/f/big.bin", str(tmp_path / "big-back")),
    ]:
        assert "retrying S3 request" in run.stderr
    assert (tmp_path / "big-back").read_bytes() == big
    listed = faulty.ok("list", f"s3://{bucket}/f/", LIST_PAGE_SIZE="10").stdout.splitlines()
    assert len(listed) == 32
    assert faulty.ok("exists", f"s3://{bucket}/f/small.bin").stdout.strip() == "true"
    faulty.ok("delete", f"s3://{bucket}/f/small.bin")

    assert moto.client().head_object(Bucket=bucket, Key="f/big.bin")["ETag"] == multipart_etag(big, 5 * MiB)
    counts = proxy.actions()
    assert counts["503"] > 5 and counts["500"] > 5 and counts["drop"] > 5, counts


def test_lost_response_to_a_conditional_put_is_not_a_conflict(s3: S3Driver, moto: MotoS3, bucket: str,
                                                              tmp_path: Path, proxy_factory):
    # moto stores the object, then the proxy drops the connection; the retry then gets 412 for our own write.
    proxy = proxy_factory(lambda seq, method, path: "forward-then-drop" if seq == 0 else "forward")
    location = f"s3://{bucket}/metadata/v2.metadata.json"
    result = s3.ok("put", location, str(write(tmp_path, "m", b'{"v": 2}')), "--if-absent", ENDPOINT=proxy.endpoint)
    assert "retrying S3 request" in result.stderr
    assert [request.action for request in proxy.seen[:2]] == ["forward-then-drop", "forward"]
    assert moto.client().get_object(Bucket=bucket, Key="metadata/v2.metadata.json")["Body"].read() == b'{"v": 2}'

    # Someone else's object at the key is still a conflict.
    other = s3.run("put", location, str(write(tmp_path, "n", b'{"v": 3}')), "--if-absent")
    assert other.returncode == 2 and other.error["context"]["s3.code"] == "PreconditionFailed"


def test_retries_give_up_with_a_retryable_error(s3: S3Driver, bucket: str, tmp_path: Path, proxy_factory):
    proxy = proxy_factory(lambda seq, method, path: "503")
    result = s3.run("get", f"s3://{bucket}/k", str(tmp_path / "o"), ENDPOINT=proxy.endpoint, RETRY_ATTEMPTS="3")
    assert result.returncode == 2
    assert result.error["retryable"] is True
    assert result.error["context"]["s3.code"] == "SlowDown"
    assert result.error["context"]["attempts"] == "3"
    assert len(proxy.seen) == 3


def test_a_request_that_times_out_is_retried(s3: S3Driver, bucket: str, tmp_path: Path, proxy_factory):
    proxy = proxy_factory(lambda seq, method, path: "stall" if seq == 0 else "forward")
    location = f"s3://{bucket}/slow.bin"
    result = s3.ok("put", location, str(write(tmp_path, "in", b"slow")), ENDPOINT=proxy.endpoint, TIMEOUT_MS="1000")
    assert "retrying S3 request" in result.stderr and "deadlineExceeded" in result.stderr
    assert [request.action for request in proxy.seen] == ["stall", "forward"]
