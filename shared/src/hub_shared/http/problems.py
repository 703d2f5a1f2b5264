"""Transport errors as RFC 9457 problem documents (JSON), never as AppRecs."""

from __future__ import annotations

from fastapi.responses import JSONResponse


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )
