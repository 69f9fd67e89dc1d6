"""Plain request/answer values passed between the HTTP server and the service handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str  # without the query string
    params: dict[str, str]  # query string and form body merged (first value wins)
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    n: int = 0  # the global call number
    query: dict[str, str] = field(default_factory=dict)  # the query string alone (first value wins)

    @property
    def form(self) -> bool:
        """The body is declared ``application/x-www-form-urlencoded`` (Campaigns' documented header)."""
        return "application/x-www-form-urlencoded" in self.headers.get("content-type", "").lower()

    @property
    def token(self) -> str | None:
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "zoho-oauthtoken" and token.strip() else None

    def json_body(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else {}
        except (UnicodeDecodeError, ValueError):
            return None


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    code: str = ""  # the body's code, for the call log
    drop: bool = False  # close the connection without answering (timeout fault)


def json_answer(
    status: int, payload: Any, *, code: str | int | None = None, headers: dict[str, str] | None = None
) -> Answer:
    if code is None and isinstance(payload, dict):
        inner = payload.get("response") if isinstance(payload.get("response"), dict) else payload
        code = inner.get("code", inner.get("error", ""))
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Answer(status, body, headers=dict(headers or {}), code=str(code if code is not None else ""))


def html_answer(status: int, text: str) -> Answer:
    from html import escape

    page = f"<!doctype html><title>Sandbox</title><p>{escape(text)}</p>"
    return Answer(status, page.encode("utf-8"), "text/html;charset=UTF-8", code=str(status))


def redirect(location: str) -> Answer:
    return Answer(302, b"", "text/plain", headers={"Location": location}, code="302")
