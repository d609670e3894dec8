"""Expected S3 SigV4 signatures from botocore's S3SigV4Auth, an independent signer, for fixed credentials and time.

Writes s3-sigv4-botocore.json beside this file; the Swift tests (S3SigningTests) address and sign the same
requests and must produce the same URL, canonical request, string to sign and Authorization header.

    python3 generate_s3_sigv4.py   # needs botocore (any recent version)
"""
from __future__ import annotations

import datetime
import json
import types
from pathlib import Path
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED_TIME = datetime.datetime(2024, 2, 29, 23, 59, 58, tzinfo=datetime.timezone.utc)
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token=="

CASES = [
    dict(name="put signed payload, key with spaces, path style", method="PUT", endpoint="http://127.0.0.1:9000",
         path_style=True, region="us-east-1", bucket="lake", key="events/data/my file 1.parquet",
         headers=[], body="hello parquet"),
    dict(name="put unsigned payload, virtual-hosted AWS", method="PUT", endpoint=None, path_style=False,
         region="eu-west-1", bucket="floe-lake", key="events/metadata/00001-abc.metadata.json",
         headers=[["if-none-match", "*"]], body='{"format-version":2}', unsigned=True),
    dict(name="get key with plus, percent and unicode, session token", method="GET",
         endpoint="https://abc123.r2.cloudflarestorage.com", path_style=False, region="auto", bucket="lake",
         key="a+b/100%/ünïcødé/日本語 ☃.parquet", headers=[], body="", token=True),
    dict(name="get with a range header", method="GET", endpoint="http://localhost:9000", path_style=True,
         region="us-east-1", bucket="lake", key="data/part-0.parquet", headers=[["range", "bytes=4-1027"]],
         body=""),
    dict(name="dot segments and double slashes are not normalised", method="HEAD",
         endpoint="http://127.0.0.1:5000", path_style=True, region="us-west-2", bucket="lake",
         key="a/./b/../c//d/", headers=[], body=""),
    dict(name="list objects v2 with prefix and continuation token", method="GET",
         endpoint="http://127.0.0.1:9000", path_style=True, region="us-east-1", bucket="lake", key=None,
         query=[["list-type", "2"], ["max-keys", "1000"], ["prefix", "events/data/type=a b/"],
                ["continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+"]],
         headers=[], body=""),
    dict(name="create multipart upload, R2 auto region", method="POST",
         endpoint="https://abc123.r2.cloudflarestorage.com", path_style=True, region="auto", bucket="lake",
         key="events/data/big.parquet", query=[["uploads", ""]], headers=[], body=""),
    dict(name="upload part with session token", method="PUT", endpoint="http://127.0.0.1:9000", path_style=True,
         region="us-east-1", bucket="lake", key="events/data/big.parquet",
         query=[["partNumber", "2"], ["uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"]],
         headers=[], body="x" * 300, token=True),
]


class RecordingS3SigV4Auth(S3SigV4Auth):
    """botocore's S3 signer, keeping the canonical request and string to sign it computed."""

    recorded: dict

    def string_to_sign(self, request, canonical_request):
        result = super().string_to_sign(request, canonical_request)
        self.recorded = {"canonical_request": canonical_request, "string_to_sign": result}
        return result


def host_of(case: dict) -> tuple[str, str]:
    endpoint = case["endpoint"] or f"https://s3.{case['region']}.amazonaws.com"
    scheme, authority = endpoint.split("://")
    if not case["path_style"]:
        authority = f"{case['bucket']}.{authority}"
    return scheme, authority


def sign(case: dict) -> dict:
    scheme, authority = host_of(case)
    path = "" if case["path_style"] is False else "/" + quote(case["bucket"], safe="")
    if case["key"] is not None:
        path += "/" + quote(case["key"], safe="/~")
    path = path or "/"
    query = case.get("query", [])
    url = f"{scheme}://{authority}{path}"
    if query:
        url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    request = AWSRequest(method=case["method"], url=url, data=case["body"].encode(),
                         headers={name: value for name, value in case["headers"]})
    # botocore reads the query from the URL when params is empty; keep it there (already encoded).
    if case.get("unsigned"):
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    credentials = Credentials(ACCESS_KEY, SECRET, TOKEN if case.get("token") else None)
    signer = RecordingS3SigV4Auth(credentials, "s3", case["region"])
    botocore.auth.get_current_datetime = lambda: FIXED_TIME
    signer.add_auth(request)
    return {
        **{k: v for k, v in case.items()},
        "access_key_id": ACCESS_KEY, "secret_access_key": SECRET,
        "session_token": TOKEN if case.get("token") else None,
        "timestamp": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expected_url": url,
        "expected_canonical_request": signer.recorded["canonical_request"],
        "expected_string_to_sign": signer.recorded["string_to_sign"],
        "expected_authorization": request.headers["Authorization"],
        "expected_content_sha256": request.headers["X-Amz-Content-SHA256"],
    }


def main() -> None:
    out = Path(__file__).with_name("s3-sigv4-botocore.json")
    out.write_text(json.dumps([sign(case) for case in CASES], indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
