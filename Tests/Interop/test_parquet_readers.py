"""Files written by Floe's Parquet writer, read back value by value by other engines.

The files come from the real writer: `swift test --filter ParquetFixtures` with
FLOE_PARQUET_FIXTURE_DIR set (Tests/ParquetTests/File/ParquetFixtures.swift). They cover every
type (INT(8..64, signed and unsigned), UUID, DECIMAL on INT32/INT64/FIXED, FIXED_LEN_BYTE_ARRAY,
strings with empty, non-ASCII, 4-byte UTF-8 and 100 KB values, binary, timestamps, dates, lists,
maps with 0 and 2,000 entries, all-null columns), all codecs, 0, 1 and 1,000,000 rows, and 40 random
schemas/values/writer options (the property-based round trip). Readers: pyarrow (page CRCs
verified), DuckDB, fastparquet, polars, pyiceberg (by field id) and Spark.
"""
import decimal
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parquet_fixture_values import DECIMAL_SCALE, canon, expected, load, mismatches, split_kind

REPO = Path(__file__).resolve().parents[2]
TYPED = ["typed_uncompressed", "typed_snappy", "typed_zstd1", "typed_zstd3", "typed_gzip", "typed_one_row",
         "typed_zero_rows"]
RANDOM = [f"random_{seed}" for seed in range(40)]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    directory = Path(os.environ.get("FLOE_PARQUET_FIXTURE_OUT") or tmp_path_factory.mktemp("parquet_fixtures"))
    if os.environ.get("FLOE_PARQUET_FIXTURE_OUT") and (directory / "million_rows.parquet").exists():
        return directory  # written already, e.g. by a scratch build of the same sources
    env = dict(os.environ, FLOE_PARQUET_FIXTURE_DIR=str(directory))
    result = subprocess.run(["swift", "test", "--filter", "ParquetFixtures"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (directory / "million_rows.parquet").exists(), "fixture test did not write files"
    return directory


def check_columns(reader, name, doc, get_column, skip=lambda column: False):
    failures = []
    for column in doc["columns"]:
        if skip(column):
            continue
        got = get_column(column["name"])
        bad = mismatches(column["kind"], got, column["values"])
        if bad:
            failures.append(f"{reader}/{name}/{column['name']} ({column['kind']}): {str(bad)[:300]}")
    assert not failures, "\n".join(failures[:20])


def pyarrow_column(table, name):
    column = table.column(name)
    if isinstance(column.type, pa.ExtensionType):
        column = pa.chunked_array([c.storage for c in column.chunks], type=column.type.storage_type)
    return column.to_pylist()


@pytest.mark.parametrize("name", TYPED + RANDOM)
def test_pyarrow_values_crc_and_field_ids(fixtures, name):
    path = fixtures / f"{name}.parquet"
    doc = load(path)
    table = pq.read_table(path, page_checksum_verification=True)
    assert table.num_rows == doc["rows"]
    check_columns("pyarrow", name, doc, lambda column: pyarrow_column(table, column))
    for column in doc["columns"]:
        field = table.schema.field(column["name"])
        assert int(field.metadata[b"PARQUET:field_id"]) == column["field_id"]


def test_pyarrow_logical_types(fixtures):
    schema = pq.ParquetFile(fixtures / "typed_zstd1.parquet").schema
    logical = {schema.column(i).path: schema.column(i) for i in range(len(schema))}
    assert str(logical["uuid_req"].logical_type) == "UUID" and logical["uuid_req"].physical_type == "FIXED_LEN_BYTE_ARRAY"
    assert logical["uuid_req"].length == 16
    assert logical["fixed5_opt"].physical_type == "FIXED_LEN_BYTE_ARRAY" and logical["fixed5_opt"].length == 5
    for name, physical, precision, scale in [("dec9_2_req", "INT32", 9, 2), ("dec18_4_req", "INT64", 18, 4),
                                             ("dec38_10_req", "FIXED_LEN_BYTE_ARRAY", 38, 10)]:
        column = logical[name]
        assert column.physical_type == physical and column.converted_type == "DECIMAL"
        assert (column.precision, column.scale) == (precision, scale)
        assert str(column.logical_type) == f"Decimal(precision={precision}, scale={scale})"
    for kind, bits, signed in [("i8", 8, "true"), ("i16", 16, "true"), ("u32", 32, "false"), ("u64", 64, "false")]:
        column = logical[f"{kind}_req"]
        assert str(column.logical_type) == f"Int(bitWidth={bits}, isSigned={signed})"
        assert column.converted_type == ("INT_" if signed == "true" else "UINT_") + str(bits)
    arrow = pq.read_schema(fixtures / "typed_zstd1.parquet")
    assert arrow.field("i8_req").type == pa.int8() and arrow.field("u64_req").type == pa.uint64()
    assert arrow.field("dec38_10_req").type == pa.decimal128(38, 10)


def python_order(kind, values):
    """min, max of non-null canonical values in the column order Parquet uses for the kind."""
    vs = [expected(kind, v) for v in values if v is not None]
    if not vs:
        return None
    if kind in ("bin", "uuid", "fixed5"):
        vs = [bytes.fromhex(v) for v in vs]
    if kind == "str":
        vs = sorted(vs, key=lambda s: s.encode())
        return vs[0], vs[-1]
    return min(vs), max(vs)


def test_statistics_and_page_index(fixtures):
    path = fixtures / "typed_zstd1.parquet"
    doc = load(path)
    metadata = pq.ParquetFile(path).metadata
    row_group = metadata.row_group(0)
    by_path = {row_group.column(i).path_in_schema: row_group.column(i) for i in range(row_group.num_columns)}
    for column in doc["columns"]:
        shape, kind = split_kind(column["kind"])
        if shape != "prim" or kind in ("str", "f32", "f64"):
            continue
        chunk = by_path[column["name"]]
        assert chunk.has_column_index and chunk.has_offset_index, column["name"]
        bounds = python_order(kind, column["values"])
        stats = chunk.statistics
        if bounds is None:
            assert stats.null_count == doc["rows"]
            continue
        low, high = stats.min, stats.max
        if kind in DECIMAL_SCALE:
            low, high = decimal.Decimal(low), decimal.Decimal(high)
        if kind == "uuid" and not isinstance(low, bytes):
            low, high = low.bytes, high.bytes
        if kind == "date":
            low, high = canon("date", low), canon("date", high)
        if kind == "ts":
            low, high = canon("ts", low), canon("ts", high)
        assert (low, high) == bounds, column["name"]
    # DuckDB sees the same statistics, typed.
    rows = duckdb.sql(f"SELECT path_in_schema, stats_min_value, stats_max_value FROM parquet_metadata('{path}') "
                      "WHERE path_in_schema IN ('u64_req', 'dec38_10_req', 'i8_req')").fetchall()
    found = {r[0]: (r[1], r[2]) for r in rows}
    u64 = python_order("u64", next(c for c in doc["columns"] if c["name"] == "u64_req")["values"])
    assert tuple(int(x) for x in found["u64_req"]) == u64
    dec = python_order("dec38_10", next(c for c in doc["columns"] if c["name"] == "dec38_10_req")["values"])
    assert tuple(decimal.Decimal(x) for x in found["dec38_10_req"]) == dec


@pytest.mark.parametrize("name", TYPED + RANDOM[:20])
def test_duckdb_values(fixtures, name):
    path = fixtures / f"{name}.parquet"
    doc = load(path)
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    rows = relation.fetchall()
    names = relation.columns
    assert len(rows) == doc["rows"]
    check_columns("duckdb", name, doc, lambda column: [row[names.index(column)] for row in rows])


def test_million_rows(fixtures):
    path = fixtures / "million_rows.parquet"
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    table = pq.read_table(path, page_checksum_verification=True)
    assert table.num_rows == 1_000_000
    assert table.column("id").to_pylist() == list(range(1_000_000))
    names = ["track", "page", "identify", "screen"]
    assert table.column("type").to_pylist() == [None if i % 7 == 0 else names[i % 4] for i in range(1_000_000)]
    assert table.column("small").to_pylist() == [None if i % 11 == 0 else i % 65536 - 32768 for i in range(1_000_000)]
    count, total, nulls = duckdb.sql(f"SELECT count(*), sum(id), count(*) - count(type) FROM '{path}'").fetchone()
    assert (count, total, nulls) == (1_000_000, 999_999 * 1_000_000 // 2, len(range(0, 1_000_000, 7)))


def fastparquet_skip(column):
    # fastparquet does not read MAP columns right: None for every map, or, where the keys are
    # dictionary-encoded and the values are not (the `extensions` column of a compacted cloudevents file),
    # each key as its own value; a pyarrow file with the same encodings reads the same wrong way. pyarrow,
    # DuckDB, polars and Spark check the maps.
    return column["kind"].startswith("map<")


def fastparquet_column(frame, column, kind):
    values = list(frame[column])
    width = {"uuid": 16, "fixed5": 5}.get(split_kind(kind)[1])
    if width is None:
        return values
    # numpy 'S' arrays drop trailing NUL bytes of fixed-width values; put them back.
    pad = lambda v: v if v is None or not isinstance(v, bytes) else v.ljust(width, b"\0")
    if kind.startswith("list<"):
        return [None if v is None else [pad(x) for x in v] for v in values]
    return [pad(v) for v in values]


@pytest.mark.parametrize("name", ["typed_snappy", "typed_gzip", "typed_one_row"])
def test_fastparquet_values(fixtures, name):
    import fastparquet
    path = fixtures / f"{name}.parquet"
    doc = load(path)
    frame = fastparquet.ParquetFile(str(path)).to_pandas()
    assert len(frame) == doc["rows"]
    kinds = {c["name"]: c["kind"] for c in doc["columns"]}
    check_columns("fastparquet", name, doc, lambda column: fastparquet_column(frame, column, kinds[column]),
                  skip=fastparquet_skip)


@pytest.mark.parametrize("name", ["typed_zstd3", "typed_uncompressed", "typed_one_row"] + RANDOM[:10])
def test_polars_values(fixtures, name):
    import polars as pl
    path = fixtures / f"{name}.parquet"
    doc = load(path)
    frame = pl.read_parquet(path)
    assert frame.height == doc["rows"]
    check_columns("polars", name, doc, lambda column: frame[column].to_list())


ICEBERG_KINDS = {"bool", "i8", "i16", "i32", "i64", "f32", "f64", "str", "bin", "ts", "date", "uuid", "fixed5",
                 "dec9_2", "dec18_4", "dec38_10"}


def test_pyiceberg_reads_by_field_id(fixtures, tmp_path):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import ArrowScan
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.schema import Schema
    from pyiceberg.table import FileScanTask
    from pyiceberg import types as t

    path = fixtures / "typed_zstd1.parquet"
    doc = load(path)
    primitive = {"bool": t.BooleanType(), "i8": t.IntegerType(), "i16": t.IntegerType(), "i32": t.IntegerType(),
                 "i64": t.LongType(), "f32": t.FloatType(), "f64": t.DoubleType(), "str": t.StringType(),
                 "bin": t.BinaryType(), "ts": t.TimestamptzType(), "date": t.DateType(), "uuid": t.UUIDType(),
                 "fixed5": t.FixedType(5), "dec9_2": t.DecimalType(9, 2), "dec18_4": t.DecimalType(18, 4),
                 "dec38_10": t.DecimalType(38, 10)}
    fields, columns = [], []
    for column in doc["columns"]:
        shape, kind = split_kind(column["kind"])
        if kind not in ICEBERG_KINDS:
            continue
        field_id = column["field_id"]
        if shape == "list":
            element_required = "uuids" == column["name"]  # the fixture's only list of required elements
            iceberg_type = t.ListType(field_id + 1, primitive[kind], element_required=element_required)
        elif shape == "map":
            iceberg_type = t.MapType(field_id + 1, t.StringType(), field_id + 2, primitive[kind], value_required=False)
        else:
            iceberg_type = primitive[kind]
        # Renamed on purpose: pyiceberg must find the columns by field id, not by name.
        fields.append(t.NestedField(field_id, "renamed_" + column["name"], iceberg_type, required=column["required"]))
        columns.append(column)
    schema = Schema(*fields)
    catalog = SqlCatalog("floe", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}")
    catalog.create_namespace("pq")
    table = catalog.create_table("pq.typed", schema=schema)
    data_file = DataFile.from_args(content=DataFileContent.DATA, file_path=str(path), file_format=FileFormat.PARQUET,
                                   partition={}, record_count=doc["rows"], file_size_in_bytes=path.stat().st_size)
    data_file.spec_id = 0
    scan = ArrowScan(table.metadata, table.io, schema, AlwaysTrue(), case_sensitive=True)
    result = scan.to_table([FileScanTask(data_file)])
    assert result.num_rows == doc["rows"]
    failures = []
    for column in columns:
        values = result.column("renamed_" + column["name"]).to_pylist()
        bad = mismatches(column["kind"], values, column["values"])
        if bad:
            failures.append(f"pyiceberg/{column['name']}: {bad}")
    assert not failures, "\n".join(failures)


def spark_element(kind, ref):
    if kind == "ts":
        return f"unix_micros({ref})"
    if kind == "date":
        return f"unix_date({ref})"
    if kind in DECIMAL_SCALE or kind == "u64":
        return f"cast({ref} as string)"
    if kind in ("bin", "uuid", "fixed5"):
        return f"lower(hex({ref}))"
    return ref


def spark_expression(name, kind):
    shape, inner = split_kind(kind)
    quoted = f"`{name}`"
    if shape == "prim":
        return spark_element(kind, quoted)
    if shape == "list":
        return f"transform({quoted}, x -> {spark_element(inner, 'x')})"
    return f"transform(map_entries({quoted}), e -> named_struct('key', e.key, 'value', {spark_element(inner, 'e.value')}))"


SPARK_TYPES = {"bool": "BOOLEAN", "i8": "TINYINT", "i16": "SMALLINT", "i32": "INT", "i64": "BIGINT",
               "u8": "SMALLINT", "u16": "INT", "u32": "BIGINT", "u64": "DECIMAL(20,0)", "f32": "FLOAT",
               "f64": "DOUBLE", "str": "STRING", "bin": "BINARY", "ts": "TIMESTAMP", "date": "DATE",
               "fixed5": "BINARY", "dec9_2": "DECIMAL(9,2)", "dec18_4": "DECIMAL(18,4)", "dec38_10": "DECIMAL(38,10)"}


def spark_type(kind):
    shape, inner = split_kind(kind)
    if shape == "list":
        return f"ARRAY<{SPARK_TYPES[inner]}>"
    if shape == "map":
        return f"MAP<STRING, {SPARK_TYPES[inner]}>"
    return SPARK_TYPES[kind]


def spark_readable(column):
    # Spark 4.3 rejects the UUID logical type ([PARQUET_TYPE_ILLEGAL]); those columns are left out of
    # the requested schema, which Spark then never converts.
    return split_kind(column["kind"])[1] != "uuid"


def spark_canon(kind, value):
    shape, inner = split_kind(kind)
    if value is None:
        return None
    if shape == "list":
        return [spark_canon(inner, x) for x in value]
    if shape == "map":
        return [[entry["key"], spark_canon(inner, entry["value"])] for entry in value]
    if kind in DECIMAL_SCALE:
        return str(value)
    if kind == "u64":
        return int(value)
    if kind in ("bin", "fixed5"):
        return bytes.fromhex(value)  # selected as hex(); back to bytes for canon()
    return value


@pytest.mark.parametrize("name", ["typed_zstd1", "typed_snappy", "typed_gzip", "typed_one_row"] + RANDOM[:8])
def test_spark_values(fixtures, spark, name):
    path = fixtures / f"{name}.parquet"
    doc = load(path)
    readable = [c for c in doc["columns"] if spark_readable(c)]
    if not readable:
        pytest.skip("only UUID columns")
    ddl = ", ".join(f"`{c['name']}` {spark_type(c['kind'])}" for c in readable)
    frame = spark.read.schema(ddl).parquet(str(path))
    expressions = [f"{spark_expression(c['name'], c['kind'])} AS `{c['name']}`" for c in readable]
    rows = frame.selectExpr(*expressions).collect()
    assert len(rows) == doc["rows"]

    def column_values(column):
        kind = next(c["kind"] for c in doc["columns"] if c["name"] == column)
        out = []
        for row in rows:
            v = spark_canon(kind, row[column])
            shape, inner = split_kind(kind)
            if inner in DECIMAL_SCALE and v is not None:
                v = _decimal_strings(shape, v)
            out.append(v)
        return out
    check_columns("spark", name, doc, column_values, skip=lambda column: not spark_readable(column))


def _decimal_strings(shape, v):
    if shape == "list":
        return [None if x is None else decimal.Decimal(x) for x in v]
    if shape == "map":
        return [[k, None if x is None else decimal.Decimal(x)] for k, x in v]
    return decimal.Decimal(v)


def test_spark_filters_with_the_page_index(fixtures, spark):
    path = fixtures / "million_rows.parquet"
    frame = spark.read.parquet(str(path))
    assert frame.filter("id >= 123456 AND id < 123466").count() == 10
    assert frame.filter("small = -32768").count() == len([i for i in range(1_000_000)
                                                         if i % 11 != 0 and i % 65536 == 0])
    assert frame.filter("type = 'identify' AND id < 1000").count() == len([i for i in range(1000)
                                                                          if i % 7 != 0 and i % 4 == 2])


def thrift_reader():
    import sys
    sys.path.insert(0, str(REPO / "Tests" / "ParquetTests" / "Fixtures"))
    from check_fixtures import Compact, footer
    return Compact, footer


@pytest.mark.parametrize("name", ["typed_zstd1", "typed_uncompressed", "million_rows"] + RANDOM)
def test_page_index_points_at_every_data_page(fixtures, name):
    """OffsetIndex locations hit each data page header; ColumnIndex agrees with the page statistics."""
    Compact, footer = thrift_reader()
    data, meta = footer(fixtures / f"{name}.parquet")
    options = {} if name.startswith(("typed", "million")) else load(fixtures / f"{name}.parquet")["options"]
    for group in meta.get(4, []):
        for chunk in group[1]:
            md = chunk[3]
            if options.get("page_index") is False:
                assert 4 not in chunk and 6 not in chunk
                continue
            index_parser = Compact(data, chunk[4])
            locations = index_parser.struct()[1]
            assert index_parser.pos == chunk[4] + chunk[5]
            start = md.get(11, md[9])
            assert locations[0][1] == md[9], "first location is the first data page"
            values = 0
            rows = []
            headers = []
            for i, location in enumerate(locations):
                parser = Compact(data, location[1])
                header = parser.struct()
                assert header[1] == 0, "a data page"
                assert parser.pos - location[1] + header[3] == location[2], "header + body = compressed_page_size"
                if i + 1 < len(locations):
                    assert location[1] + location[2] == locations[i + 1][1], "pages are contiguous"
                values += header[5][1]
                rows.append(location[3])
                headers.append(header)
            assert locations[-1][1] + locations[-1][2] == start + md[7], "last page ends the chunk"
            assert values == md[5]
            assert rows[0] == 0 and rows == sorted(set(rows)) and rows[-1] < group[3]
            if 6 not in chunk:
                continue
            column_parser = Compact(data, chunk[6])
            column_index = column_parser.struct()
            assert column_parser.pos == chunk[6] + chunk[7]
            assert len(column_index[1]) == len(locations)
            assert sum(column_index[5]) == md[12][3]
            for i, header in enumerate(headers):
                stats = header[5][5]
                assert column_index[5][i] == stats[3]
                assert column_index[1][i] == (stats[3] == header[5][1])
                if not column_index[1][i]:
                    assert (column_index[2][i], column_index[3][i]) == (stats[6], stats[5])


def test_fastparquet_reads_a_column_whose_dictionary_would_pass_its_limit(floe):
    """A string column with repeats whose distinct values pass the 1 MiB dictionary limit is written PLAIN
    throughout: fastparquet (2026.9) reads the values after a chunk's switch from dictionary to PLAIN pages as
    nulls, silently, in Floe's files and pyarrow's alike."""
    import fastparquet

    from api import segment_message
    from corpus import dumps
    from lake import data_files, load_table

    server = floe(env={"ICEBERG_BUFFER_SIZE": "20000"})
    messages = []
    for i in range(18_000):
        user = f"u{i // 3:06d}-" + "x" * 230  # 6,000 distinct values, 1.4 MB of dictionary
        messages.append(segment_message("track", userId=user, anonymousId=None if i % 5 == 0 else user[::-1],
                                        timestamp="2026-04-02T10:00:00Z", properties={}))
    for start in range(0, len(messages), 500):
        assert server.post("/v1/batch", dumps({"batch": messages[start:start + 500]})).status_code == 200
    server.flush()
    [data_file] = data_files(load_table(server.data_dir, "events"))
    assert data_file.record_count == len(messages)
    by_arrow = pq.read_table(data_file.path, columns=["user_id", "anonymous_id"])
    by_fastparquet = fastparquet.ParquetFile(data_file.path).to_pandas(columns=["user_id", "anonymous_id"])
    for column in ("user_id", "anonymous_id"):
        want = by_arrow.column(column).to_pylist()
        got = [None if value is None or value != value else value for value in by_fastparquet[column]]
        wrong = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
        assert not wrong, f"{column}: {len(wrong)} values differ, first at row {wrong[0]}"
    assert sorted(by_arrow.column("user_id").to_pylist()) == sorted(m["userId"] for m in messages)
