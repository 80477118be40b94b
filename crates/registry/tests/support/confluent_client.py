"""Drives a schema registry with Confluent's own Python client (confluent-kafka's
SchemaRegistryClient, AvroSerializer and AvroDeserializer) and checks every answer against
Confluent's documented REST API: results, versions, soft and permanent deletes, and the error
codes. Usage: confluent_client.py URL. Prints one line per check; exits 1 at the first miss."""

import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

URL = sys.argv[1]
V1 = '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}'
V2 = ('{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},'
      '{"name":"note","type":["null","string"],"default":null}]}')
BREAKING = '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}'


def client():
    # A fresh client each time: the client caches ids and versions it has seen.
    return SchemaRegistryClient({"url": URL})


def check(what, got, expected):
    if got != expected:
        print(f"MISS {what}: got {got!r}, expected {expected!r}", flush=True)
        sys.exit(1)
    print(f"ok {what}", flush=True)


def error(what, call, status, code):
    try:
        result = call()
    except SchemaRegistryError as e:
        check(what, (e.http_status_code, e.error_code), (status, code))
        return
    print(f"MISS {what}: answered {result!r}, expected error {code}", flush=True)
    sys.exit(1)


avro = lambda text: Schema(text, "AVRO")  # noqa: E731

c = client()
check("schema types", c.get_schema_types(), ["AVRO"])
check("no subjects yet", c.get_subjects(), [])
id1 = c.register_schema("orders-value", avro(V1))
check("registering again gives the same id", client().register_schema("orders-value", avro(V1)), id1)
check("the same schema under another subject keeps its id", client().register_schema("copy-value", avro(V1)), id1)
latest = client().get_latest_version("orders-value")
check("latest version", (latest.subject, latest.version, latest.schema_id), ("orders-value", 1, id1))
check("schema by id", client().get_schema(id1).schema_str, V1)
check("subjects by id", client().get_subjects_by_schema_id(id1), ["copy-value", "orders-value"])
check(
    "versions by id",
    sorted((v.subject, v.version) for v in client().get_schema_versions(id1)),
    [("copy-value", 1), ("orders-value", 1)],
)
found = client().lookup_schema("orders-value", avro(V1))
check("lookup", (found.version, found.schema_id), (1, id1))
error("lookup of a schema the subject does not hold", lambda: client().lookup_schema("orders-value", avro(V2)), 404, 40403)
error("lookup under an unknown subject", lambda: client().lookup_schema("nobody-value", avro(V1)), 404, 40401)
error("unknown schema id", lambda: client().get_schema(99999), 404, 40403)
error("version 0", lambda: client().get_version("orders-value", 0), 422, 42202)
error("unknown version", lambda: client().get_version("orders-value", 7), 404, 40402)
error("unknown subject", lambda: client().get_versions("nobody-value"), 404, 40401)

check("a compatible evolution", c.test_compatibility("orders-value", avro(V2)), True)
check("a breaking change", c.test_compatibility("orders-value", avro(BREAKING)), False)
check("against version 1", c.test_compatibility("orders-value", avro(V2), version=1), True)
check("against all versions", c.test_compatibility_all_versions("orders-value", avro(BREAKING)), False)
check("a new subject takes anything (all versions)", c.test_compatibility_all_versions("new-value", avro(BREAKING)), True)
error("compatibility against an unknown version", lambda: c.test_compatibility("orders-value", avro(V2), version=5), 404, 40402)
error("compatibility against an unknown subject", lambda: c.test_compatibility("nobody-value", avro(V2)), 404, 40401)
error("registering a breaking change", lambda: client().register_schema("orders-value", avro(BREAKING)), 409, 40901)
error("registering what is not AVRO", lambda: client().register_schema("orders-value", avro("{nope")), 422, 42201)

id2 = client().register_schema("orders-value", avro(V2))
check("an evolution gets a new id", id2 != id1, True)
check("versions", client().get_versions("orders-value"), [1, 2])

check("global compatibility", c.get_compatibility(), "BACKWARD")
error("subject compatibility not set", lambda: c.get_compatibility("orders-value"), 404, 40408)
check("set subject compatibility", c.set_compatibility("orders-value", "FULL"), {"compatibility": "FULL"})
check("subject compatibility", c.get_compatibility("orders-value"), "FULL")
check("global mode", c.get_global_mode(), "READWRITE")
check("contexts", c.get_contexts(), ["."])

# Soft, then permanent deletes of a version.
check("soft delete of version 2", c.delete_version("orders-value", 2), 2)
check("versions after it", client().get_versions("orders-value"), [1])
check("versions with deleted ones", client().get_versions("orders-value", deleted=True), [1, 2])
error("soft delete of it again", lambda: c.delete_version("orders-value", 2), 404, 40406)
error("permanent delete of a live version", lambda: c.delete_version("orders-value", 1, permanent=True), 404, 40407)
check("permanent delete of version 2", c.delete_version("orders-value", 2, permanent=True), 2)
check("versions with deleted ones after it", client().get_versions("orders-value", deleted=True), [1])

# Soft, then permanent deletes of a subject.
error("permanent delete before a soft one", lambda: c.delete_subject("orders-value", permanent=True), 404, 40405)
check("soft delete of the subject", c.delete_subject("orders-value"), [1])
check("subjects after it", client().get_subjects(), ["copy-value"])
check("subjects with deleted ones", client().get_subjects(deleted=True), ["copy-value", "orders-value"])
error("soft delete of it again", lambda: c.delete_subject("orders-value"), 404, 40404)
check("its schema is still there by id", client().get_schema(id1).schema_str, V1)
check("permanent delete", c.delete_subject("orders-value", permanent=True), [1])
check("subjects with deleted ones after it", client().get_subjects(deleted=True), ["copy-value"])
error("deleting it once more", lambda: c.delete_subject("orders-value"), 404, 40401)

# Confluent's serializer registers, and its deserializer reads back, through the registry.
context = SerializationContext("payments", MessageField.VALUE)
serialize = AvroSerializer(client(), V2)
payload = serialize({"id": 42, "note": "paid"}, context)
registered = client().get_latest_version("payments-value")
check("the serializer's wire format", (payload[0], int.from_bytes(payload[1:5], "big")), (0, registered.schema_id))
check("the deserializer reads it back", AvroDeserializer(client())(payload, context), {"id": 42, "note": "paid"})
print("all checks passed")
