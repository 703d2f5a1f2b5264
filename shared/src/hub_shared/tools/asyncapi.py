"""`make asyncapi`: the AsyncAPI 3 document of the hub's topics, generated from the event models.

The event models in hub_shared.events are the contract; this document is derived from them and
checked in (docs/asyncapi.json). A test fails when the two drift apart.
"""

from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from hub_shared.events import EVENT_MODELS, topics
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.paths import repo_root

DOCUMENT = repo_root() / "docs" / "asyncapi.json"
REF = "#/components/schemas/{model}"

CHANNELS = {
    topics.ADMISSION: ("admission", "Admissions as hospitals announce them (admission-notice)."),
    topics.DISCHARGE: ("discharge", "The readiness conversation of a stay (discharge-ready)."),
    topics.HOUSING: ("housing", "Housing cases and assignments (housing-match)."),
    topics.BILLING: ("billing", "The payment clock and invoices (billing)."),
}


def _summary(model: type[EventData]) -> str:
    return (inspect.getdoc(model) or model.EVENT_TYPE).split("\n\n")[0].replace("\n", " ")


def _message(model: type[EventData]) -> dict[str, Any]:
    return {
        "name": model.EVENT_TYPE,
        "title": model.EVENT_TYPE,
        "summary": _summary(model),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "traceparent": {"type": "string", "description": "W3C trace context"},
                "event-id": {"type": "string", "description": "Same as the envelope id"},
            },
        },
        "payload": {
            "allOf": [
                {"$ref": REF.format(model="Envelope")},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": model.EVENT_TYPE},
                        "schemaversion": {"const": model.SCHEMA_VERSION},
                        "data": {"$ref": REF.format(model=model.__name__)},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The stay id: one stay, one partition"},
                "bindingVersion": "0.5.0",
            }
        },
    }


def build() -> dict[str, Any]:
    models = sorted(EVENT_MODELS.values(), key=lambda m: (m.TOPIC, m.EVENT_TYPE))
    _, schemas = models_json_schema(
        [(m, "serialization") for m in (Envelope, *models)], ref_template=REF
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic, (name, description) in CHANNELS.items():
        mine = [model for model in models if topic == model.TOPIC]
        channels[name] = {
            "address": topic,
            "description": description,
            "messages": {
                m.EVENT_TYPE: {"$ref": f"#/components/messages/{m.EVENT_TYPE}"} for m in mine
            },
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"Municipal systems subscribe to {topic} in their own consumer group.",
            "messages": [{"$ref": f"#/channels/{name}/messages/{m.EVENT_TYPE}"} for m in mine],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Discharge messaging hub: events",
            "version": "1",
            "description": (
                "Events of the hub, at least once and in order per stay (key = stay id). "
                "Deduplicate on the envelope id. Generated from hub_shared.events; do not edit."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {"host": "127.0.0.1:9092", "protocol": "kafka"},
            "compose": {"host": "kafka:9092", "protocol": "kafka"},
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {m.EVENT_TYPE: _message(m) for m in models},
            "schemas": schemas.get("$defs", {}),
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DOCUMENT)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
