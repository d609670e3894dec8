"""For the Parquet-encoding peers: their command line, and what a peer's file lost against the rows it was given."""
import argparse

import pyarrow as pa
import pyarrow.parquet as pq

FIELD_ID = b"PARQUET:field_id"


def differences(path: str, table: pa.Table) -> list:
    """What the Parquet file at `path` lost against `table`: values (after casting back to the input's types, so
    large_string against string is no difference), top-level nullability (REQUIRED/OPTIONAL) and field ids, nested
    ones included. Empty when the file is a faithful copy."""
    found = []
    back = pq.read_table(path)
    try:
        if not back.cast(table.schema).equals(table):
            found.append("values differ from the input after a read back")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError) as error:
        found.append(f"types differ from the input: {error}".splitlines()[0])
    optional = [w.name for w, i in zip(back.schema, table.schema) if w.nullable and not i.nullable]
    if optional:
        found.append(f"required columns written OPTIONAL: {', '.join(optional)}")
    lost = [name for name, wanted in field_ids(table.schema).items() if field_ids(back.schema).get(name) != wanted]
    if lost:
        found.append(f"field ids not written: {', '.join(lost)}")
    return found


def field_ids(fields, prefix="") -> dict:
    """Dotted path → field id of every field (nested too) that has one."""
    found = {}
    for field in fields:
        path = prefix + field.name
        if field.metadata and FIELD_ID in field.metadata:
            found[path] = int(field.metadata[FIELD_ID])
        found.update(field_ids(children(field.type), path + "."))
    return found


def children(kind: pa.DataType) -> list:
    """The child fields of a struct, list or map type (map: key and value), none for others."""
    if pa.types.is_struct(kind):
        return [kind.field(i) for i in range(kind.num_fields)]
    if pa.types.is_map(kind):
        return [kind.key_field, kind.item_field]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return [kind.value_field]
    return []


def peer_arguments() -> argparse.Namespace:
    """The command line every Parquet peer takes: --input (a Parquet file with the rows), --codec, --level, --repeat."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True, help="a Parquet file with the rows to write")
    parser.add_argument("--codec", default="zstd")
    parser.add_argument("--level", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()
