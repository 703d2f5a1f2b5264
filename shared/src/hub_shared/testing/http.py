"""Posting ELIN messages to a service's app in tests, and reading the AppRec that comes back."""

from __future__ import annotations

import httpx
from lxml import etree


async def post_xml(client: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    """POST to /elin/messages; the client's own headers (its token) apply unless overridden."""
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


# The embedded default's documented development credentials (config/address-register.toml).
DEV_TOKENS = {
    "59": "dev-st-olav",
    "800200": "dev-testsykehuset",
    "99387": "dev-alvdal",
    "800400": "dev-testkommune-nord",
}


def bearer(her_id: str) -> dict[str, str]:
    """The Authorization header of a party of the development register."""
    return {"authorization": f"Bearer {DEV_TOKENS[her_id]}"}
