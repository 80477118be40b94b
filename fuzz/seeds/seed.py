#!/usr/bin/env python3
"""Seeds the fuzz corpora from the repository's own inputs: the examples, and the SQL, AVRO
schemas, CSV, configs, traffic patterns and units its tests and templates write. Run from the
repository root; `cargo fuzz cmin` then keeps what adds coverage."""

import hashlib
import json
import os
import re
import struct
import sys

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 16 * 1024


def rust_files(*dirs):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if f.endswith(".rs"):
                    yield os.path.join(base, f)


def unescape(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ""
        if n == "\n":  # a line continuation skips the newline and the next line's indent
            i += 2
            while i < len(body) and body[i] in " \t":
                i += 1
            continue
        if n == "u" and body[i + 2 : i + 3] == "{":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
            continue
        out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "'": "'"}.get(n, n))
        i += 2
    return "".join(out)


def literals(path):
    """The string literals of a Rust file, raw or escaped."""
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'r(#+)"(.*?)"\1|r"(.*?)"|(?<![\w\'])"((?:[^"\\]|\\.)*)"', text, re.S):
        if m.group(2) is not None:
            yield m.group(2)
        elif m.group(3) is not None:
            yield m.group(3)
        else:
            yield unescape(m.group(4))


def write(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data or len(data) > MAX_SEED:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def seed_text():
    sql_kw = re.compile(r"\b(CREATE|SELECT|INSERT|SET|EXECUTE|BEGIN|RESET)\b", re.I)
    for path in rust_files("crates"):
        for s in literals(path):
            stripped = s.strip()
            if sql_kw.search(s) and ("(" in s or ";" in s or stripped.upper().startswith(("SET", "RESET"))):
                write("sql_split_parse", s)
            if '"type"' in s and stripped.startswith(("{", "[", '"')):
                write("avsc", s)
                write("registry_journal", json.dumps({"keytype": "SCHEMA", "subject": "t-value", "version": 1, "magic": 1})
                      + "\0" + json.dumps({"subject": "t-value", "version": 1, "id": 1, "schema": s, "deleted": False}))
            if re.search(r"^\s*(kafka|run|schema_registry_url|bootstrap_servers|flink|benchmark|monitoring|dashboard|loadgen):", s, re.M):
                write("config_yaml", s)
            if "," in s and "\n" in s and not sql_kw.search(s) and '"type"' not in s and ":" not in s.split("\n")[0]:
                write("csv_infer", s)
            if re.fullmatch(r"[0-9smhdk .:%,\-]+", stripped) and ":" in stripped and any(ch.isdigit() for ch in stripped):
                write("traffic_pattern", s)
            if re.fullmatch(r"-?[0-9.]+ ?[a-zA-Z]{0,12}([0-9]+[a-z]+)*", stripped) and len(stripped) < 24:
                write("units", s)
    for f in os.listdir(os.path.join(ROOT, "examples")):
        data = open(os.path.join(ROOT, "examples", f), "rb").read()
        write({"avsc": "avsc", "csv": "csv_infer"}[f.rsplit(".", 1)[1]], data)


# --- record values for wire_decoders: selector byte, then (length byte, value)* ---

FORMATS = ["json", "json-lenient", "csv", "csv;", "raw-text", "raw-bytes", "avro", "avro-confluent"]


def framed(fmt, values):
    out = bytes([FORMATS.index(fmt)])
    for v in values:
        v = v[:255]
        out += bytes([len(v)]) + v
    return out


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def avro_string(s):
    s = s.encode()
    return zigzag(len(s)) + s


def user_event_datum(i):
    """A UserEvent (examples/user-event.avsc) in AVRO binary."""
    price = (1999 + i).to_bytes(4, "big", signed=True)
    return (
        avro_string("4b1c7a2e-0000-4000-8000-00000000000%d" % i)
        + zigzag(1000 + i)
        + avro_string("s-%d" % i)
        + zigzag(i % 4)  # enum index
        + avro_string("/p/%d" % i)
        + (zigzag(1) + zigzag(len(price)) + price if i % 2 else zigzag(0))
        + zigzag(2) + avro_string("a") + avro_string("b") + zigzag(0)  # tags
        + zigzag(1) + avro_string("k") + avro_string("v") + zigzag(0)  # attributes
        + avro_string("linux") + (zigzag(1) + avro_string("firefox") if i % 2 else zigzag(0)) + zigzag(1920)
        + zigzag(19000 + i)
        + zigzag(1700000000000 + i)
    )


def seed_wire():
    rows = [
        {"event_id": "e1", "user_id": 7, "session_id": "s", "action": "VIEW", "page_url": "/a", "price": 12.5,
         "tags": ["x", None], "attributes": {"k": "v"}, "device": {"os": "ios", "browser": None, "screen_width": 390},
         "signup_date": "2024-03-01", "ts": "2024-03-01T09:15:02.120"},
        {"event_id": "e2", "user_id": -1, "price": None, "ts": 1700000000000},
        {"user_id": "12"},
    ]
    lines = [json.dumps(r).encode() for r in rows]
    write("wire_decoders", framed("json", lines))
    write("wire_decoders", framed("json-lenient", lines + [b"{not json", b"[]"]))
    csv_lines = [b"e1,7,s,VIEW,/a,12.50,2024-03-01,2024-03-01 09:15:02.120", b'"e,2",8,,CLICK,"/b""c",,,']
    write("wire_decoders", framed("csv", csv_lines))
    write("wire_decoders", framed("csv;", [l.replace(b",", b";") for l in csv_lines]))
    write("wire_decoders", framed("raw-text", [b"hello", "h\u00e9".encode(), b""]))
    write("wire_decoders", framed("raw-bytes", [b"\x00\xff\x10", b""]))
    datums = [user_event_datum(i) for i in range(3)]
    write("wire_decoders", framed("avro-confluent", [b"\x00\x00\x00\x00\x01" + d for d in datums]))
    for i, d in enumerate(datums):
        write("wire_decoders", framed("avro-confluent", [b"\x00\x00\x00\x00\x01" + d, b"\x00\x00\x00\x00\x02" + d]))
    write("wire_decoders", framed("avro", datums))


def seed_journal():
    def rec(key, value=None):
        data = json.dumps(key).encode()
        if value is not None:
            data += b"\0" + (json.dumps(value).encode() if not isinstance(value, bytes) else value)
        write("registry_journal", data)

    rec({"keytype": "NOOP", "magic": 0})
    rec({"keytype": "SCHEMA", "subject": "t-value", "version": 1, "magic": 1})
    rec({"keytype": "SCHEMA", "subject": "t-value", "version": 2, "magic": 1},
        {"subject": "t-value", "version": 2, "id": 3, "schema": '"string"', "deleted": True})
    rec({"keytype": "SCHEMA", "subject": "t-value", "version": 1, "magic": 1},
        {"subject": "t-value", "version": 1, "id": 4, "schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";"})
    rec({"keytype": "DELETE_SUBJECT", "subject": "t-value", "magic": 0}, {"subject": "t-value", "version": 2})
    rec({"keytype": "CONFIG", "subject": None, "magic": 0}, {"subject": None, "compatibilityLevel": "BACKWARD"})
    rec({"keytype": "CONFIG", "subject": "t-value", "magic": 0}, {"compatibilityLevel": "FULL_TRANSITIVE"})
    rec({"keytype": "CONFIG", "subject": "t-value", "magic": 0}, b"")
    rec({"keytype": "MODE", "subject": None, "magic": 0}, {"mode": "READWRITE"})


def seed_extra():
    for p in ["30s-60s:300%,90s-120s:200%", "0:1000,300:10000,600:5000", "1s-2s:300%", "0:10", "10s-20s:50%"]:
        write("traffic_pattern", p)
    for u in ["10s", "1m30s", "250ms", "500 millis", "2 h", "64KiB", "1MB", "256mb", "1536b", "3 days", "0s"]:
        write("units", u)


if __name__ == "__main__":
    seed_text()
    seed_wire()
    seed_journal()
    seed_extra()
    for t in sorted(os.listdir(OUT)):
        print(t, len(os.listdir(os.path.join(OUT, t))), file=sys.stderr)
