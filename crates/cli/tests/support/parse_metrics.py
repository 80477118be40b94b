"""Parses OpenMetrics text on stdin with the Prometheus project's own parser (prometheus_client)
and prints the families as JSON. A malformed exposition raises, and the exit code is 1."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        "name": family.name,
        "type": family.type,
        "unit": family.unit,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples
        ],
    })
json.dump(families, sys.stdout)
