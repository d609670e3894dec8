"""The `events` table of docs/design.md §2 for the Python peers: schema, partition spec, rows from Segment NDJSON."""
import datetime as dt
import json

import pyarrow as pa
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import HourTransform, IdentityTransform
from pyiceberg.types import NestedField, StringType, TimestamptzType

STRINGS = ["message_id", "type", "user_id", "anonymous_id", "event", "name", "category", "group_id", "previous_id",
           "properties", "traits", "context", "integrations"]
TIMES = ["timestamp", "original_timestamp", "sent_at", "received_at"]
REQUIRED = {"message_id", "type", "timestamp", "received_at"}


def schema() -> Schema:
    fields = [NestedField(i + 1, name, StringType(), required=name in REQUIRED) for i, name in enumerate(STRINGS)]
    fields += [NestedField(14 + i, name, TimestamptzType(), required=name in REQUIRED) for i, name in enumerate(TIMES)]
    return Schema(*fields)


def arrow_schema() -> pa.Schema:
    return pa.schema([pa.field(n, pa.string(), nullable=n not in REQUIRED) for n in STRINGS]
                     + [pa.field(n, pa.timestamp("us", tz="UTC"), nullable=n not in REQUIRED) for n in TIMES])


def parse(text):
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def rows(path: str, received: dt.datetime):
    with open(path) as lines:
        for line in lines:
            e = json.loads(line)
            ts = parse(e.get("timestamp")) or received
            yield {
                "message_id": e["messageId"], "type": e["type"], "user_id": e.get("userId"),
                "anonymous_id": e.get("anonymousId"), "event": e.get("event"), "name": e.get("name"),
                "category": e.get("category"), "group_id": e.get("groupId"), "previous_id": e.get("previousId"),
                "properties": json.dumps(e["properties"]) if "properties" in e else None,
                "traits": json.dumps(e["traits"]) if "traits" in e else None,
                "context": json.dumps(e["context"]) if "context" in e else None,
                "integrations": json.dumps(e["integrations"]) if "integrations" in e else None,
                "timestamp": ts, "original_timestamp": parse(e.get("timestamp")), "sent_at": parse(e.get("sentAt")),
                "received_at": received,
            }



def partition_spec() -> PartitionSpec:
    return PartitionSpec(PartitionField(2, 1000, IdentityTransform(), "type"),
                         PartitionField(14, 1001, HourTransform(), "timestamp_hour"))
