"""Expected values of the Parquet reader fixtures (ParquetFixtures.swift) and normalisation of what readers return.

Every fixture NAME.parquet has NAME.json: {"rows": n, "columns": [{"name", "field_id", "kind", "required",
"values"}]}. Kinds are documented in Tests/ParquetTests/File/FixtureTable.swift. `canon(kind, v)` turns a
value returned by any reader (pyarrow, DuckDB, fastparquet, polars, pyiceberg, Spark) into the canonical
form of `expected(kind, v)`, so that both sides compare with ==.
"""
import datetime
import decimal
import json
import math
import uuid
from pathlib import Path

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
DECIMAL_SCALE = {"dec9_2": 2, "dec18_4": 4, "dec38_10": 10}
HEX_KINDS = {"bin", "uuid", "fixed5"}
INT_KINDS = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"}
decimal.getcontext().prec = 60


def load(path):
    return json.loads(Path(path).with_suffix(".json").read_text())


def split_kind(kind):
    """('list', element) | ('map', value) | ('prim', kind)."""
    if kind.startswith("list<"):
        return "list", kind[5:-1]
    if kind.startswith("map<str,"):
        return "map", kind[8:-1]
    return "prim", kind


def expected(kind, v):
    if v is None:
        return None
    shape, inner = split_kind(kind)
    if shape == "list":
        return [expected(inner, x) for x in v]
    if shape == "map":
        return [[k, expected(inner, x)] for k, x in v]
    if kind == "u64":
        return int(v)
    if kind in DECIMAL_SCALE:
        return decimal.Decimal(int(v)).scaleb(-DECIMAL_SCALE[kind])
    if kind in ("f32", "f64"):
        return float(v)
    return v


def _is_null(v):
    if v is None:
        return True
    try:
        import pandas as pd
        if v is pd.NaT or v is pd.NA:
            return True
    except ImportError:
        pass
    return isinstance(v, float) and math.isnan(v)


def _pairs(v):
    if hasattr(v, "tolist") and not isinstance(v, (list, dict)):
        v = v.tolist()
    if isinstance(v, dict):
        if set(v.keys()) == {"key", "value"} and isinstance(v["key"], list):
            return list(zip(v["key"], v["value"]))
        return list(v.items())
    out = []
    for item in v:
        if isinstance(item, dict):
            out.append((item["key"], item["value"]))
        else:
            out.append(tuple(item))
    return out


def canon(kind, v):
    shape, inner = split_kind(kind)
    if shape == "list":
        if _is_null(v) if not hasattr(v, "__len__") else v is None:
            return None
        if hasattr(v, "tolist") and not isinstance(v, list):
            v = v.tolist()
        return [canon(inner, x) for x in v]
    if shape == "map":
        if v is None or (not hasattr(v, "__len__") and _is_null(v)):
            return None
        return [[canon("str", k), canon(inner, x)] for k, x in _pairs(v)]
    if hasattr(v, "item") and not isinstance(v, (bytes, str)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if _is_null(v):
        return None
    if kind == "str":
        return bytes(v).decode() if isinstance(v, (bytes, bytearray, memoryview)) else v
    if kind in HEX_KINDS:
        if isinstance(v, uuid.UUID):
            return v.bytes.hex()
        if isinstance(v, str):
            return v.encode("latin-1").hex() if kind != "uuid" else v.replace("-", "").lower()
        return bytes(v).hex()
    if kind == "bool":
        return bool(v)
    if kind in INT_KINDS:
        return int(v)
    if kind in ("f32", "f64"):
        return float(v)
    if kind in DECIMAL_SCALE:
        if isinstance(v, float):
            return v  # fastparquet turns decimals into floats; compared approximately
        return decimal.Decimal(v)
    if kind == "ts":
        if isinstance(v, int):
            return v
        if hasattr(v, "value") and not isinstance(v, datetime.datetime):
            return v.value // 1000
        if hasattr(v, "to_pydatetime"):
            return v.value // 1000
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH
        return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    if kind == "date":
        if isinstance(v, int):
            return v
        if isinstance(v, datetime.datetime):
            v = v.date()
        return (v - datetime.date(1970, 1, 1)).days
    raise ValueError(kind)


def same(kind, got, want):
    """Compares canonical values; floats (and fastparquet's float decimals) approximately."""
    if got is None or want is None:
        return got is None and want is None
    shape, inner = split_kind(kind)
    if shape == "list":
        return len(got) == len(want) and all(same(inner, g, w) for g, w in zip(got, want))
    if shape == "map":
        return len(got) == len(want) and all(g[0] == w[0] and same(inner, g[1], w[1]) for g, w in zip(got, want))
    if isinstance(got, float) or isinstance(want, float):
        g, w = float(got), float(want)
        return g == w or abs(g - w) <= 1e-6 * max(1.0, abs(w))
    return got == want


def mismatches(kind, got, want, limit=3):
    """Up to `limit` (row, got, expected) triples where the canonical values differ."""
    if len(got) != len(want):
        return [("rows", len(got), len(want))]
    bad = []
    for row, (g, w) in enumerate(zip(got, want)):
        g = canon(kind, g)
        w = expected(kind, w)
        if not same(kind, g, w):
            bad.append((row, g, w))
            if len(bad) >= limit:
                break
    return bad
