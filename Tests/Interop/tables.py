"""The two tables of docs/design.md §2 and the checks that what a reader returns is what was sent.

Each check collects its problems and fails once with the first few, so a broken
column shows up as one readable message rather than thousands of asserts.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pyiceberg.table import Table

from corpus import Window, micros
from lake import NAMESPACE, DataFile, data_files, local_path, normal_rows, parquet_field_ids

HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class Column:
    field_id: int
    name: str
    type: str  # pyiceberg's str() of the Iceberg type
    required: bool = False


@dataclass(frozen=True)
class PartitionField:
    source_id: int
    field_id: int
    transform: str
    name: str
    source_column: str

    def value(self, row: dict):
        """The partition value of a row (timestamps in epoch microseconds)."""
        v = row[self.source_column]
        return v if self.transform == "identity" else hours(v)


@dataclass(frozen=True)
class TableShape:
    name: str
    key: str  # the column that identifies a sent event
    columns: tuple[Column, ...]
    partition: tuple[PartitionField, ...]
    map_ids: dict  # map column → (key id, value id)

    def field_ids(self) -> dict[str, int]:
        """Field id by column name; a map's key and value as `<map>.key` and `<map>.value`."""
        ids = {c.name: c.field_id for c in self.columns}
        for name, (key_id, value_id) in self.map_ids.items():
            ids[f"{name}.key"], ids[f"{name}.value"] = key_id, value_id
        return ids


def hours(t_us: int | None) -> int | None:
    """Iceberg's hour transform: whole hours since the epoch."""
    return None if t_us is None else t_us // HOUR_US


def _strings(first_id: int, *names: str) -> tuple[Column, ...]:
    return tuple(Column(first_id + i, name, "string") for i, name in enumerate(names))


EVENTS = TableShape(
    name="events",
    key="message_id",
    columns=(
        Column(1, "message_id", "string", required=True),
        Column(2, "type", "string", required=True),
        *_strings(3, "user_id", "anonymous_id", "event", "name", "category", "group_id", "previous_id",
                  "properties", "traits", "context", "integrations"),
        Column(14, "timestamp", "timestamptz", required=True),
        Column(15, "original_timestamp", "timestamptz"),
        Column(16, "sent_at", "timestamptz"),
        Column(17, "received_at", "timestamptz", required=True),
        Column(18, "source_id", "string"),
    ),
    partition=(
        PartitionField(2, 1000, "identity", "type", "type"),
        PartitionField(14, 1001, "hour", "timestamp_hour", "timestamp"),
    ),
    map_ids={},
)

CF_COLUMNS = ("cf_colo", "cf_country", "cf_city", "cf_continent", "cf_postal_code", "cf_region", "cf_timezone",
              "cf_http_protocol", "cf_tls_version", "cf_tls_cipher")

CLOUDEVENTS = TableShape(
    name="cloudevents",
    key="id",
    columns=(
        Column(1, "id", "string", required=True),
        Column(2, "type", "string", required=True),
        Column(3, "source", "string", required=True),
        Column(4, "specversion", "string", required=True),
        Column(5, "time", "timestamptz"),
        *_strings(6, "subject", "datacontenttype", "dataschema", "data"),
        Column(10, "extensions", "map<string, string>"),
        *_strings(11, *CF_COLUMNS),
        *(Column(21 + i, name, "int") for i, name in enumerate(("year", "month", "day", "hour"))),
        Column(25, "received_at", "timestamptz", required=True),
        Column(29, "source_id", "string"),
    ),
    partition=(
        PartitionField(2, 1000, "identity", "type", "type"),
        PartitionField(5, 1001, "hour", "time_hour", "time"),
    ),
    map_ids={"extensions": (27, 28)},
)

# ---------------------------------------------------------------------- expected rows

JSON_TEXT = {"properties", "traits", "context", "integrations", "data"}

CLOUDEVENT_ATTRIBUTES = {"id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time",
                         "data", "data_base64"}


def expected_event(sent: dict) -> dict:
    """The `events` columns that follow from a Segment message alone (JSON text columns as parsed values)."""
    return {
        "message_id": sent["messageId"],
        "type": sent["type"],
        "user_id": sent.get("userId"),
        "anonymous_id": sent.get("anonymousId"),
        "event": sent.get("event"),
        "name": sent.get("name"),
        "category": sent.get("category"),
        "group_id": sent.get("groupId"),
        "previous_id": sent.get("previousId"),
        "properties": sent.get("properties"),
        "traits": sent.get("traits"),
        "context": sent.get("context"),
        "integrations": sent.get("integrations"),
        "original_timestamp": micros(sent.get("originalTimestamp") or sent.get("timestamp")),
        "sent_at": micros(sent.get("sentAt")),
    }


def expected_event_timestamp(row: dict) -> int:
    """Segment's skew correction: received_at - (sent_at - timestamp), else timestamp as sent, else received_at
    (for messages without `originalTimestamp`; beside one, `timestamp` is kept as sent)."""
    original, sent_at, received = row["original_timestamp"], row["sent_at"], row["received_at"]
    if original is not None and sent_at is not None:
        return received - (sent_at - original)
    return original if original is not None else received


def expected_cloudevent(sent: dict) -> dict:
    """The `cloudevents` columns that follow from a structured-mode CloudEvent alone."""
    return {
        "id": sent["id"],
        "type": sent["type"],
        "source": sent["source"],
        "specversion": sent["specversion"],
        "time": micros(sent.get("time")),
        "subject": sent.get("subject"),
        "datacontenttype": sent.get("datacontenttype"),
        "dataschema": sent.get("dataschema"),
        "data": sent.get("data"),
        "extensions": {k: v for k, v in sent.items() if k not in CLOUDEVENT_ATTRIBUTES},
        **{name: None for name in CF_COLUMNS},
    }


def _json_or_text(text):
    try:
        return json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return f"<not JSON: {text[:80]!r}>"


def _diff(row: dict, expected: dict) -> list[str]:
    problems = []
    for column, want in expected.items():
        got = row.get(column, "<missing column>")
        if column in JSON_TEXT:
            got = _json_or_text(got)
        if got != want:
            problems.append(f"{column}: got {got!r}, want {want!r}")
    return problems


def event_problems(row: dict, sent: dict, window: Window) -> list[str]:
    problems = _diff(row, expected_event(sent))
    if row["received_at"] not in window:
        problems.append(f"received_at {row['received_at']} outside [{window.start}, {window.end}]")
    elif row["timestamp"] != expected_event_timestamp(row):
        problems.append(f"timestamp {row['timestamp']} != skew-corrected {expected_event_timestamp(row)}")
    return problems


def cloudevent_problems(row: dict, sent: dict, window: Window) -> list[str]:
    expected = expected_cloudevent(sent)
    row = {**row, "extensions": _extensions_as_sent(row.get("extensions"), expected["extensions"])}
    if expected["time"] is None:  # events without time get time = received_at
        expected["time"] = row["received_at"]
    problems = _diff(row, expected)
    if row["received_at"] not in window:
        problems.append(f"received_at {row['received_at']} outside [{window.start}, {window.end}]")
    if row["time"] is not None:
        t = dt.datetime.fromtimestamp(row["time"] / 1e6, dt.timezone.utc)
        for part in ("year", "month", "day", "hour"):
            if row.get(part) != getattr(t, part):
                problems.append(f"{part}: got {row.get(part)!r}, want {getattr(t, part)} (of time, UTC)")
    return problems


def _extensions_as_sent(got: dict | None, sent: dict) -> dict:
    """Extension values are strings; non-string attributes are stored as JSON text, so parse those back."""
    got = got or {}
    return {k: (v if isinstance(sent.get(k), str) else _json_or_text(v)) for k, v in got.items()}


# ---------------------------------------------------------------------- assertions

MAX_REPORTED = 15


def _fail(title: str, problems: list[str]) -> None:
    shown = "\n  ".join(problems[:MAX_REPORTED])
    more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
    raise AssertionError(f"{title}: {len(problems)} problem(s)\n  {shown}{more}")


def assert_rows_match(reader: str, shape: TableShape, rows: list[dict], sent: list[dict], window: Window) -> None:
    """Every sent event is in `rows` exactly once, with the field values it was sent with; nothing else is."""
    sent_key, problems_of = _ROW_CHECKS[shape.name]
    sent_by_key = {event[sent_key]: event for event in sent}
    assert len(sent_by_key) == len(sent), "the test sent duplicate keys"
    seen: dict[str, int] = {}
    problems = []
    for row in rows:
        key = row.get(shape.key)
        seen[key] = seen.get(key, 0) + 1
        if key not in sent_by_key:
            problems.append(f"unexpected row {shape.key}={key!r}")
        elif seen[key] == 1:
            problems += [f"{shape.key}={key}: {p}" for p in problems_of(row, sent_by_key[key], window)]
    problems += [f"{shape.key}={key} appears {n} times" for key, n in seen.items() if n > 1]
    problems += [f"{shape.key}={key} missing" for key in sent_by_key if key not in seen]
    if problems:
        _fail(f"{reader} read of {shape.name} ({len(rows)} rows, {len(sent)} sent)", problems)


_ROW_CHECKS: dict[str, tuple[str, Callable[[dict, dict, Window], list[str]]]] = {
    EVENTS.name: ("messageId", event_problems),
    CLOUDEVENTS.name: ("id", cloudevent_problems),
}


def assert_catalog_schema(table: Table, shape: TableShape) -> None:
    """The catalog's schema and partition spec are those of docs/design.md §2."""
    schema = table.schema()
    got = [Column(f.field_id, f.name, str(f.field_type), f.required) for f in schema.fields]
    assert got == list(shape.columns), f"{shape.name} schema:\n  got  {got}\n  want {list(shape.columns)}"
    for name, (key_id, value_id) in shape.map_ids.items():
        map_type = schema.find_field(name).field_type
        assert (map_type.key_id, map_type.value_id, map_type.value_required) == (key_id, value_id, False), \
            f"{shape.name}.{name}: map key/value ids {map_type.key_id}/{map_type.value_id}, want {key_id}/{value_id}"
    spec = [(f.source_id, f.field_id, str(f.transform), f.name) for f in table.spec().fields]
    want = [(p.source_id, p.field_id, p.transform, p.name) for p in shape.partition]
    assert spec == want, f"{shape.name} partition spec: got {spec}, want {want}"


def assert_data_files(table: Table, shape: TableShape, location: str) -> list[DataFile]:
    """Every live data file: Parquet under `{location}/data/`, read by pyarrow, every column carrying the field id
    of docs/design.md §2, row count as in its manifest entry, and every row inside the file's partition."""
    files = data_files(table)
    assert files, f"{shape.name}: no data files"
    problems = []
    for f in files:
        where = f"{shape.name} file {f.path}"
        if f.content != 0 or f.file_format.upper() != "PARQUET":
            problems.append(f"{where}: content {f.content}, format {f.file_format}")
        if not os.path.realpath(f.path).startswith(location.rstrip("/") + "/data/"):
            problems.append(f"{where}: not under {location}/data/")
        ids, want_ids = parquet_field_ids(f.schema()), shape.field_ids()
        wrong = {name: (ids.get(name), want_ids.get(name)) for name in ids.keys() | want_ids.keys()
                 if ids.get(name) != want_ids.get(name)}
        if wrong:
            problems.append(f"{where}: PARQUET:field_id (got, want) {dict(sorted(wrong.items()))}")
        rows = normal_rows(f.read())
        if len(rows) != f.record_count:
            problems.append(f"{where}: {len(rows)} rows, manifest says {f.record_count}")
        for p in shape.partition:
            want = f.partition.get(p.name)
            outside = [(row[shape.key], p.value(row)) for row in rows if p.value(row) != want]
            if outside:
                key, value = outside[0]
                problems.append(f"{where}: {len(outside)} rows outside partition {p.name}={want!r}, "
                                f"e.g. {shape.key}={key} has {value!r}")
    if problems:
        _fail(f"{shape.name} data files ({len(files)})", problems)
    return files


def table_location(data_dir: Path, shape: TableShape, namespace: str = NAMESPACE) -> str:
    """Where the embedded catalog keeps a table by default: `{data-dir}/warehouse/{namespace}/{table}`."""
    return os.path.realpath(data_dir / "warehouse" / namespace / shape.name)


def assert_table_location(table: Table, shape: TableShape, data_dir: Path) -> str:
    """The table lives at its default location, its current metadata under `{location}/metadata/`."""
    location = os.path.realpath(local_path(table.location()))
    assert location == table_location(data_dir, shape), f"{shape.name} location {table.location()}"
    metadata = os.path.realpath(local_path(table.metadata_location))
    assert metadata.startswith(location + "/metadata/") and metadata.endswith(".metadata.json"), \
        f"{shape.name} metadata location {table.metadata_location}"
    return location
