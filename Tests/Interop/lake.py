"""Readers for what Floe wrote: pyiceberg over the embedded catalog, DuckDB's iceberg_scan, pyarrow.

All readers hand back plain Python rows in one normal form, so the checks compare
them the same way: timestamps as integer microseconds since the epoch (UTC),
maps as dicts, everything else as pyarrow's `to_pylist` gives it.
"""
from __future__ import annotations

import glob
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table

CATALOG_NAME = "floe"
NAMESPACE = "analytics"


def local_path(location: str) -> str:
    """A table, metadata or data file location (`file:///abs/...` or `/abs/...`) as a local path: its path as
    written, escapes and all, as pyiceberg, DuckDB and Spark open it."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return parsed.path
    assert parsed.scheme == "", f"not a local location: {location}"
    return location


# ---------------------------------------------------------------------- pyiceberg


def open_catalog(data_dir: Path) -> SqlCatalog:
    """The embedded catalog of a Floe data directory, opened as pyiceberg's SqlCatalog."""
    return SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{data_dir}/catalog.db", warehouse=f"file://{data_dir}/warehouse")


def load_table(data_dir: Path, name: str) -> Table:
    return open_catalog(data_dir).load_table(f"{NAMESPACE}.{name}")


def pyiceberg_rows(table: Table) -> list[dict]:
    return normal_rows(table.scan().to_arrow())


# ---------------------------------------------------------------------- DuckDB


def _extension_file(name: str) -> str:
    """`<site-packages>/duckdb_extension_<name>/extensions/v<version>/<name>.duckdb_extension`."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    assert spec and spec.submodule_search_locations, f"package duckdb-extension-{name} is not installed"
    package_dir = Path(list(spec.submodule_search_locations)[0])
    wanted = package_dir / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if wanted.exists():
        return str(wanted)
    found = sorted(glob.glob(str(package_dir / "extensions" / "*" / f"{name}.duckdb_extension")))
    assert found, f"no {name}.duckdb_extension under {package_dir}"
    return found[-1]


def duckdb_connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the avro and iceberg extensions loaded from their PyPI packages (no network)."""
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for name in ("avro", "iceberg"):  # iceberg needs avro loaded first
        con.execute(f"LOAD '{_extension_file(name)}'")
    return con


def duckdb_connect_s3(endpoint: str, key_id: str, secret: str, region: str = "us-east-1") -> duckdb.DuckDBPyConnection:
    """Like duckdb_connect, plus httpfs and an S3 secret for a path-style, plain-HTTP endpoint (moto)."""
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for name in ("httpfs", "avro", "iceberg"):
        con.execute(f"LOAD '{_extension_file(name)}'")
    host = endpoint.split("://", 1)[-1]
    con.execute(f"""CREATE SECRET floe_s3 (TYPE s3, KEY_ID '{key_id}', SECRET '{secret}', REGION '{region}',
                    ENDPOINT '{host}', URL_STYLE 'path', USE_SSL {'true' if endpoint.startswith('https') else 'false'})""")
    return con


def iceberg_scan(con: duckdb.DuckDBPyConnection, metadata_location: str) -> pa.Table:
    return con.execute("SELECT * FROM iceberg_scan(?)", [local_path(metadata_location)]).to_arrow_table()


def duckdb_rows(con: duckdb.DuckDBPyConnection, table: Table) -> list[dict]:
    return normal_rows(iceberg_scan(con, table.metadata_location))


# ---------------------------------------------------------------------- normal form


def timestamp_micros(column: pa.ChunkedArray | pa.Array) -> list[int | None]:
    return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()


def normal_rows(table: pa.Table) -> list[dict]:
    """Rows of an Arrow table with timestamps as epoch microseconds and maps as dicts."""
    columns = {}
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_timestamp(field.type):
            columns[field.name] = timestamp_micros(column)
        elif pa.types.is_map(field.type):
            columns[field.name] = [None if entries is None else dict(entries) for entries in column.to_pylist()]
        else:
            columns[field.name] = column.to_pylist()
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


# ---------------------------------------------------------------------- data files and field ids


@dataclass
class DataFile:
    path: str  # local path
    partition: dict
    record_count: int
    content: int
    file_format: str

    def read(self) -> pa.Table:
        return pq.read_table(self.path)

    def schema(self) -> pa.Schema:
        return pq.ParquetFile(self.path).schema_arrow


def data_files(table: Table) -> list[DataFile]:
    """The live data files of the table's current snapshot, as its manifests list them."""
    files = table.inspect.files()
    return [DataFile(local_path(row["file_path"]), row["partition"], row["record_count"], row["content"],
                     row["file_format"])
            for row in files.to_pylist()]


def _field_id(field: pa.Field) -> int | None:
    value = (field.metadata or {}).get(b"PARQUET:field_id")
    return None if value is None else int(value)


def parquet_field_ids(schema: pa.Schema) -> dict[str, int | None]:
    """`PARQUET:field_id` of every column as pyarrow reads it; a map's key and value as `<map>.key`, `<map>.value`."""
    ids = {}
    for field in schema:
        ids[field.name] = _field_id(field)
        if pa.types.is_map(field.type):
            ids[f"{field.name}.key"] = _field_id(field.type.key_field)
            ids[f"{field.name}.value"] = _field_id(field.type.item_field)
    return ids
