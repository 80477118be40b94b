"""Validates a Grafana dashboard JSON file against grafana-dashboard.schema.json (JSON Schema
2020-12) and prints every violation; exit code 1 if there is any."""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator

schema = json.loads((pathlib.Path(__file__).parent / "grafana-dashboard.schema.json").read_text())
Draft202012Validator.check_schema(schema)
dashboard = json.loads(pathlib.Path(sys.argv[1]).read_text())
errors = sorted(Draft202012Validator(schema).iter_errors(dashboard), key=lambda e: list(e.path))
for error in errors:
    print("/".join(str(p) for p in error.path) + ": " + error.message)
sys.exit(1 if errors else 0)
