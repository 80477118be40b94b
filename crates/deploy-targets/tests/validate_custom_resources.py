"""Validates custom resources against their CustomResourceDefinitions' openAPIV3Schema.

usage: validate_custom_resources.py CRD_DIR MANIFEST...

Every document whose apiVersion belongs to a group of the CRDs in CRD_DIR is validated against
the schema of its version and kind (JSON Schema, as the API server's structural schemas are),
with unknown fields refused where the schema does not keep them (as `kubectl apply` does with
its strict field validation). Prints `valid KIND NAME` per resource; exits 1 on the first
document that does not validate, naming the field.
"""

import glob
import os
import sys

import jsonschema
import yaml


def strict(schema):
    """The schema with unknown fields refused wherever it lists its fields."""
    if isinstance(schema, dict):
        schema = dict(schema)
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            if key in schema:
                schema[key] = {name: strict(sub) for name, sub in schema[key].items()}
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), dict):
                schema[key] = strict(schema[key])
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                schema[key] = [strict(sub) for sub in schema[key]]
    return schema


def load_schemas(crd_dir):
    schemas, groups = {}, set()
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.y*ml"))):
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"]
                groups.add(group)
                for version in crd["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    schema = dict(version["schema"]["openAPIV3Schema"])
                    # Every object has these, whether the CRD lists them or not.
                    schema["properties"] = {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        **schema.get("properties", {}),
                    }
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas, groups


def main():
    crd_dir, manifests = sys.argv[1], sys.argv[2:]
    schemas, groups = load_schemas(crd_dir)
    if not schemas:
        sys.exit(f"no CustomResourceDefinition found in {crd_dir}")
    for manifest in manifests:
        with open(manifest) as f:
            documents = [d for d in yaml.safe_load_all(f) if d]
        for doc in documents:
            api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
            if api_version.split("/")[0] not in groups:
                continue
            name = doc.get("metadata", {}).get("name", "?")
            schema = schemas.get((api_version, kind))
            if schema is None:
                sys.exit(f"{manifest}: {kind} {name}: no served CRD version for {api_version} {kind}")
            errors = sorted(
                jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path)
            )
            if errors:
                for error in errors:
                    path = ".".join(str(p) for p in error.absolute_path)
                    print(f"{manifest}: {kind} {name}: {path}: {error.message}", file=sys.stderr)
                sys.exit(1)
            print(f"valid {kind} {name}")


if __name__ == "__main__":
    main()
