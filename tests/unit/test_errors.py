"""The one normaliser: HTTP status + body codes → typed connector errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from desktop_app.connectors.errors import (
    ApiError,
    AuthError,
    AuthExpired,
    DailyCapReached,
    Locked,
    RateLimited,
    Unavailable,
    ZohoError,
    classify,
    error_from_exception,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def c(status, body, headers=None, **kw):
    text = body if isinstance(body, str) else json.dumps(body)
    return classify(status, text, headers or {}, now=NOW, **kw)


@pytest.mark.parametrize("body", [
    {"status": "success", "code": "0"},
    {"status": "success", "code": 0},
    {"code": "200", "message": "Success", "topicDetails": []},
    {"code": 200},
    {"response": {"code": "0", "message": "success", "fieldnames": {}}},
    {"response": {"code": "200", "message": "Success"}},
    {"code": 0, "message": "success", "contacts": []},
])
def test_success_shapes(body):
    answer = c(200, body)
    assert answer.error is None and answer.body == body


def test_campaigns_http200_error_is_apierror_with_string_code():
    for code in ("2004", 2004):
        a = c(200, {"status": "error", "code": code, "message": "Invalid contact email address."})
        assert isinstance(a.error, ApiError) and a.error.code == "2004"
        assert not a.retryable
    a = c(200, {"response": {"code": "916", "message": "Duplicate"}})
    assert isinstance(a.error, ApiError) and a.error.code == "916"


def test_invalid_token_answers():
    a = c(200, {"status": "error", "code": "401", "message": "Invalid OAuth token."})
    assert isinstance(a.error, AuthExpired) and a.invalid_token
    a = c(401, {"code": 57, "message": "You are not authorized to perform this operation"})
    assert isinstance(a.error, AuthExpired) and a.invalid_token


def test_lockout_maps_to_locked_until_retry_after():
    a = c(200, {"status": "error", "code": "429", "message": "locked for 30 minutes"},
          {"Retry-After": "90"}, family="campaigns.listsubscribe")
    assert isinstance(a.error, Locked)
    assert a.error.family == "campaigns.listsubscribe"
    assert a.error.until == NOW + timedelta(seconds=90)
    assert not a.retryable


def test_books_per_minute_and_daily_cap():
    a = c(429, {"code": 45, "message": "Rate Limit Exceeded"}, {"Retry-After": "7"})
    assert isinstance(a.error, RateLimited) and a.retryable and a.retry_after == 7
    assert a.error.retry_at == NOW + timedelta(seconds=7)
    a = c(429, {"code": 1070, "message": "daily API limit"})
    assert isinstance(a.error, DailyCapReached) and not a.retryable
    assert a.error.reset_at > NOW


@pytest.mark.parametrize("status,text", [(500, '{"code":1000,"message":"Internal error"}'),
                                         (503, "<html>busy</html>"),
                                         (200, '{"code": 0, "contacts": [{"a"'),
                                         (200, "not json")])
def test_server_errors_and_broken_bodies_are_unavailable_and_retryable(status, text):
    a = classify(status, text, {})
    assert isinstance(a.error, Unavailable) and a.retryable
    assert "try again later" in a.error.message


def test_books_client_errors():
    a = c(400, {"code": 2, "message": "Invalid value passed for organization_id"})
    assert isinstance(a.error, ApiError) and a.error.code == "2" and a.error.status == 400
    a = c(404, {"code": 1003, "message": "Contact does not exist."})
    assert isinstance(a.error, ApiError) and a.error.code == "1003"


def test_oauth_answers():
    assert isinstance(c(200, {"error": "invalid_code"}).error, AuthExpired)
    assert isinstance(c(200, {"error": "invalid_client"}).error, AuthError)
    assert isinstance(c(200, {"error": "invalid_redirect_uri"}).error, AuthError)
    a = c(200, {"error": "Access Denied", "status": "failure",
                "error_description": "You have made too many requests continuously."})
    assert isinstance(a.error, RateLimited)


def test_requests_exceptions_never_copy_the_url():
    secret_url = "http://127.0.0.1:1/x?token=1000.SECRET"
    for exc in (requests.ConnectTimeout(secret_url), requests.ReadTimeout(secret_url),
                requests.ConnectionError(secret_url), requests.exceptions.ChunkedEncodingError(secret_url)):
        err = error_from_exception(exc)
        assert isinstance(err, Unavailable)
        assert "SECRET" not in str(err) and "SECRET" not in err.message


def test_every_error_has_title_and_message():
    errors = [AuthExpired(), AuthError("x"), RateLimited(NOW), Locked("campaigns.lists", NOW),
              DailyCapReached(NOW), ApiError(2004, "Invalid"), Unavailable()]
    for e in errors:
        assert isinstance(e, ZohoError) and e.title and e.message and str(e) == e.message
    assert ApiError(2004, "Invalid").code == "2004"
