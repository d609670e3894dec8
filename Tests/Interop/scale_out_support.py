"""Shared by test_scale_out.py and Benchmarks/scale_out.py: the shipped HAProxy configuration with a run's
ports, and a REST catalog whose warehouse is on S3 (moto) with the settings a Floe instance needs for it."""
from __future__ import annotations

import re
from pathlib import Path

from rest_catalog_server import RestCatalogServer

CONFIG = Path(__file__).resolve().parents[2] / "Config" / "haproxy.example.cfg"


def haproxy_config(listen: int, backends: list[int], balance: str | None = None) -> str:
    """Config/haproxy.example.cfg with this run's listen port and one server line per backend port; `balance`
    replaces the shipped `balance source` when given."""
    text = CONFIG.read_text()
    text = re.sub(r"^(\s*bind )\S+", rf"\g<1>127.0.0.1:{listen}", text, count=1, flags=re.M)
    if balance:
        text = re.sub(r"^(\s*)balance source$", rf"\g<1>balance {balance}", text, count=1, flags=re.M)
    text = re.sub(r"^\s*server floe.*\n", "", text, flags=re.M)
    return text + "".join(f"    server floe{i + 1} 127.0.0.1:{port} check\n" for i, port in enumerate(backends))


def catalog_on_s3(moto, root: Path, token: str = "t") -> tuple[RestCatalogServer, dict[str, str]]:
    """A started REST catalog with its warehouse in a new moto bucket, and the environment of an instance on it."""
    bucket = moto.new_bucket()
    s3 = {"s3.endpoint": moto.endpoint, "s3.access-key-id": moto.access_key_id,
          "s3.secret-access-key": moto.secret_access_key, "s3.region": "us-east-1"}
    rest = RestCatalogServer(root, token=token, warehouse=f"s3://{bucket}/lake", catalog_properties=s3).start()
    env = {"R2_CATALOG_ENDPOINT": rest.uri, "R2_CATALOG_AUTH_TOKEN": token, "FLOE_CATALOG_WAREHOUSE": "interop",
           "AWS_ACCESS_KEY_ID": moto.access_key_id, "AWS_SECRET_ACCESS_KEY": moto.secret_access_key,
           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": moto.endpoint}
    return rest, env
