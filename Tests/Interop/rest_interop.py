"""Helpers of test_rest_catalog.py: the Swift driver (`rest-interop`), Parquet files to append, plans, readers.

The driver is Floe's RESTCatalog + TableAppender in a small executable. $FLOE_REST_INTEROP_BIN names a built
one; otherwise it is built from $FLOE_REST_PACKAGE (default: this repository) with
`swift build --product rest-interop`.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lake import local_path

TABLE = "interop.items"
CATEGORIES = ["alpha", "beta", "gamma"]


def driver_binary() -> Path:
    override = os.environ.get("FLOE_REST_INTEROP_BIN")
    if override:
        return Path(override)
    package = Path(os.environ.get("FLOE_REST_PACKAGE", Path(__file__).resolve().parents[2]))
    build = subprocess.run(["swift", "build", "--product", "rest-interop", "--package-path", str(package)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"building rest-interop failed:\n{build.stdout[-20_000:]}")
    path = subprocess.run(["swift", "build", "--product", "rest-interop", "--package-path", str(package),
                           "--show-bin-path"], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    return Path(path) / "rest-interop"


class Driver:
    """Runs the Swift driver against one REST server; every call returns the JSON lines it printed."""

    def __init__(self, binary: Path, uri: str, **env: str):
        self.binary, self.env = binary, {"FLOE_REST_URI": uri, "FLOE_REST_WAREHOUSE": "interop",
                                         "FLOE_REST_TABLE": TABLE, **env}

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> list[dict]:
        done = subprocess.run([str(self.binary), *args], env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if check and done.returncode != 0:
            raise AssertionError(f"rest-interop {args} exited {done.returncode}: {lines}\n{done.stderr[-5000:]}")
        return lines


def write_plan(directory: Path, table_location: str, commits: int, rows_per_file: int = 5,
               first_id: int = 0) -> tuple[Path, list[dict]]:
    """Parquet files (field ids 1, 2, 3) for `commits` appends of one file per category; returns the plan file
    and every row written."""
    data_dir = Path(local_path(table_location)) / "data"
    schema = pa.schema([
        pa.field("id", pa.int64(), nullable=False, metadata={"PARQUET:field_id": "1"}),
        pa.field("category", pa.string(), nullable=False, metadata={"PARQUET:field_id": "2"}),
        pa.field("value", pa.string(), nullable=True, metadata={"PARQUET:field_id": "3"}),
    ])
    plan, rows, next_id = [], [], first_id
    for _ in range(commits):
        commit_id = str(uuid.uuid4())
        files = []
        for category in CATEGORIES:
            batch = [{"id": next_id + n, "category": category, "value": f"v{next_id + n}"} for n in range(rows_per_file)]
            next_id += rows_per_file
            path = data_dir / f"category={category}" / f"{commit_id}-{category}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(batch, schema=schema), path)
            files.append({"path": f"file://{path}", "category": category, "rows": len(batch),
                          "size": path.stat().st_size})
            rows += batch
        plan.append({"commit_id": commit_id, "files": files})
    plan_path = directory / f"plan-{uuid.uuid4().hex[:8]}.json"
    plan_path.write_text(json.dumps(plan))
    return plan_path, rows


def commit_ids(table) -> list[str]:
    """`floe.commit-id` of every snapshot in the table's metadata (pyiceberg Table), oldest first."""
    ids = []
    for snapshot in table.metadata.snapshots:
        summary = snapshot.summary.additional_properties if snapshot.summary else {}
        if "floe.commit-id" in summary:
            ids.append(summary["floe.commit-id"])
    return ids


def sorted_rows(rows: list[dict]) -> list[tuple]:
    return sorted((row["id"], row["category"], row["value"]) for row in rows)
