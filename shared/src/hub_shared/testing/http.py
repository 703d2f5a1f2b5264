"""Posting ELIN messages to a service's app in tests, and reading the AppRec that comes back."""

from __future__ import annotations

import httpx
from lxml import etree


async def post_xml(client: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    return await client.post(
        "/elin/messages", content=body, headers={"content-type": "application/xml", **headers}
    )


def apprec_of(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return etree.fromstring(response.content)


def status_and_errors(root: etree._Element) -> tuple[str, list[str]]:
    """AppRec Status/@V and the Error/@V codes."""
    status = root.find("{*}Status")
    assert status is not None
    return status.get("V") or "", [e.get("V") or "" for e in root.findall("{*}Error")]
