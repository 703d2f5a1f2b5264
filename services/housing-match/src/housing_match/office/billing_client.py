"""Billing's API, called server-side for an invoice's lines and its CSV and EHF documents.

The list of invoices comes from billing.v1 (`InvoiceIssued`, no call); an officer who opens one
gets its lines from `GET {HUB_BILLING_URL}/v1/invoices/{id}` with the municipality's own bearer
token (the browser never holds it), and the downloads pass through the office's routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class BillingUnavailable(Exception):
    """Billing did not answer, or not with the document (the page says so; nothing is cached)."""


@dataclass(frozen=True)
class Document:
    body: bytes
    media_type: str
    filename: str


class BillingClient:
    def __init__(
        self,
        base_url: str,
        tokens: dict[str, str],
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        self.transport = transport

    def _client(self, municipality: str) -> httpx.AsyncClient:
        token = self.tokens.get(municipality)
        if not token:
            raise BillingUnavailable(f"no billing token for municipality {municipality}")
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"authorization": f"Bearer {token}"},
            timeout=self.timeout,
            transport=self.transport,
        )

    async def _get(
        self, municipality: str, invoice_id: str, fmt: str | None = None
    ) -> httpx.Response:
        params = {"format": fmt} if fmt else None
        try:
            async with self._client(municipality) as client:
                response = await client.get(f"/v1/invoices/{invoice_id}", params=params)
        except httpx.HTTPError as exc:
            raise BillingUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise BillingUnavailable(f"billing answered {response.status_code}")
        return response

    async def invoice(self, municipality: str, invoice_id: str) -> dict[str, Any]:
        """The invoice with its lines, as billing's JSON has it."""
        return (await self._get(municipality, invoice_id)).json()

    async def document(self, municipality: str, invoice_id: str, fmt: str) -> Document:
        """The invoice as CSV (`csv`) or EHF UBL 2.1 XML (`ehf`)."""
        response = await self._get(municipality, invoice_id, fmt)
        if fmt == "csv":
            return Document(response.content, "text/csv; charset=utf-8", f"{invoice_id}.csv")
        return Document(response.content, "application/xml", f"{invoice_id}-ehf.xml")
