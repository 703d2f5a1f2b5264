"""Reading the office's pages in tests: the visible text of table cells, parsed back to numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from lxml import html

from housing_match.office.formatting import NBSP, parse_money


def page(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return html.fromstring(response.text)


def text(element: Any) -> str:
    """The visible text with whitespace runs (non-breaking spaces too) as single spaces."""
    return " ".join(element.text_content().split())


def raw(element: Any) -> str:
    """The visible text as it is (non-breaking spaces kept), trimmed."""
    return element.text_content().strip()


def cells(doc: Any, table_id: str, key: str) -> dict[str, dict[str, str]]:
    """Rows of a table by their `data-<key>` attribute: {key: {data-col: visible text}}."""
    found: dict[str, dict[str, str]] = {}
    for row in doc.xpath(f'//table[@id="{table_id}"]/tbody/tr'):
        found[row.get(f"data-{key}")] = {
            cell.get("data-col"): cell.text_content().strip()
            for cell in row.xpath("./td[@data-col]")
        }
    return found


def row_order(doc: Any, table_id: str, key: str) -> list[str]:
    return [row.get(f"data-{key}") for row in doc.xpath(f'//table[@id="{table_id}"]/tbody/tr')]


def money(value: str) -> Decimal:
    """ "kr 5 745" (the visible text, NBSP included) -> 5745."""
    assert value.startswith(f"kr{NBSP}") or value.startswith(f"NOK{NBSP}"), repr(value)
    return parse_money(value.split(" (")[0])


def number(value: str) -> int:
    return int(value.replace(NBSP, "").replace(",", ""))


def norwegian_day(value: str) -> date:
    return datetime.strptime(value, "%d.%m.%Y").date()
