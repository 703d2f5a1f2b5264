"""The checked-in AsyncAPI document is the one the event models generate, and it is consistent."""

from __future__ import annotations

import json

from hub_shared.events import EVENT_MODELS
from hub_shared.tools import asyncapi


def test_checked_in_document_is_current() -> None:
    assert asyncapi.DOCUMENT.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.json is stale: run `make asyncapi` and commit it"
    )


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_event_is_a_message_of_its_topic_and_every_ref_resolves() -> None:
    document = json.loads(asyncapi.render())
    assert document["asyncapi"] == "3.0.0"
    for model in EVENT_MODELS.values():
        channel = next(c for c in document["channels"].values() if c["address"] == model.TOPIC)
        assert model.EVENT_TYPE in channel["messages"]
    for ref in _refs(document):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref
