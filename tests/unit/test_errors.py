"""The one normaliser: HTTP status + body codes → typed connector errors."""

from __future__ import annotations

import json
import threading
import time
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
    assert a.error.resume_at == NOW + timedelta(seconds=90)
    assert not a.retryable


def test_books_per_minute_and_daily_cap():
    a = c(429, {"code": 45, "message": "Rate Limit Exceeded"}, {"Retry-After": "7"})
    assert isinstance(a.error, RateLimited) and a.retryable and a.retry_after == 7
    assert a.error.resume_at == NOW + timedelta(seconds=7)
    a = c(429, {"code": 1070, "message": "daily API limit"})
    assert isinstance(a.error, DailyCapReached) and not a.retryable
    assert a.error.resume_at > NOW


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


# --------------------------------------------------------------------------- documented answer shapes (issue 9)


def test_campaigns_1007_unauthorized_key_is_an_invalid_token():
    a = c(200, {"status": "error", "code": "1007", "message": "Unauthorized key."})
    assert isinstance(a.error, AuthExpired) and a.invalid_token
    a = c(200, {"status": "error", "code": 1007, "message": ""})
    assert isinstance(a.error, AuthExpired) and a.invalid_token
    a = c(200, {"status": "error", "code": "9999", "message": "Invalid OAuth token"})  # by its text
    assert isinstance(a.error, AuthExpired) and a.invalid_token


def test_an_undocumented_code_worded_like_a_lock_is_locked_for_the_documented_period():
    body = {"status": "error", "code": "2900", "message": "You have exceeded the maximum number of API calls "
            "allowed. This API is blocked for the next 30 minutes."}
    a = c(200, body, family="campaigns.listsubscribe")  # strict: no Retry-After
    assert isinstance(a.error, Locked) and a.error.family == "campaigns.listsubscribe"
    assert a.error.resume_at == NOW + timedelta(minutes=30) and not a.retryable
    a = c(200, body, family="campaigns.bulk")  # bulk's documented lock is 10 minutes
    assert isinstance(a.error, Locked) and a.error.resume_at == NOW + timedelta(minutes=10)
    a = c(200, body, family="campaigns.listsubscribe", scale=60)  # the limiter's scale applies
    assert a.error.resume_at == NOW + timedelta(seconds=30)
    for words in ("Too many requests", "API locked", "Rate limit reached"):
        assert isinstance(c(200, {"status": "error", "code": "7777", "message": words},
                            family="campaigns.lists").error, Locked), words


def test_documented_codes_are_never_read_as_locks():
    for code, message in (("914", "Contact limit of your plan reached."), ("2302", "limit reached"),
                          ("2104", "The contact is unsubscribed."), ("1002", "Extra parameter found.")):
        a = c(200, {"status": "error", "code": code, "message": message}, family="campaigns.listsubscribe")
        assert type(a.error) is ApiError and a.error.code == code
    a = c(200, {"status": "error", "code": "2901", "message": "Something else went wrong."})
    assert type(a.error) is ApiError and a.error.code == "2901"  # unknown, but not lock-like


def test_lenient_429_with_retry_after_still_locks_until_retry_after():
    a = c(200, {"status": "error", "code": "429", "message": "Too many requests."}, {"Retry-After": "1"},
          family="campaigns.topics")
    assert isinstance(a.error, Locked) and a.error.resume_at == NOW + timedelta(seconds=1)
    a = c(200, {"status": "error", "code": "429", "message": "locked"}, family="campaigns.topics")
    assert a.error.resume_at == NOW + timedelta(minutes=30)  # no header: the documented period


@pytest.mark.parametrize(("body", "seconds"), [
    ({"expires_in": 3600}, 3600),
    ({"expires_in": 3600000, "expires_in_sec": 3600}, 3600),  # Zoho Writer's shape
    ({"expires_in": 3600000}, 3600),  # above a day: milliseconds
    ({"expires_in": 86400}, 86400),
    ({"expires_in_sec": "1800"}, 1800),
    ({"expires_in": "soon"}, 3600),
    ({}, 3600),
])
def test_token_lifetime_prefers_expires_in_sec_and_reads_large_expires_in_as_ms(body, seconds):
    from desktop_app.connectors.auth import token_lifetime

    assert token_lifetime(body) == seconds


def test_self_client_scopes_are_one_constant_used_by_the_missing_scope_sentence():
    from desktop_app.connectors.auth import SCOPES, SELF_CLIENT_SCOPES
    from desktop_app.connectors.signin import missing_scopes_sentence

    assert ",".join(SCOPES) == SELF_CLIENT_SCOPES and "ZohoCampaigns.contact.ALL" in SELF_CLIENT_SCOPES
    one = missing_scopes_sentence(["ZohoBooks.contacts.READ"])
    assert one.startswith("The sign-in did not grant ZohoBooks.contacts.READ; sign in again")
    assert SELF_CLIENT_SCOPES in one
    two = missing_scopes_sentence(["AaaServer.profile.READ", "ZohoBooks.settings.READ", "ZohoCampaigns.contact.READ"])
    assert "AaaServer.profile.READ, ZohoBooks.settings.READ and ZohoCampaigns.contact.READ;" in two


# --------------------------------------------------------------------------- Campaigns answers, parsed


class FakeCampaignsHttp:
    """Stands in for the Campaigns HttpService: answers by path, records (method, path, params, headers)."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.sent: list[tuple] = []
        self.calls_made = 0

    def _answer(self, path, params):
        answer = self.answers[path]
        answer = answer(params) if callable(answer) else answer
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path, params=None):
        self.sent.append(("GET", path, dict(params or {}), None))
        return self._answer(path, params or {})

    def post(self, path, params=None, data=None, *, idempotent, headers=None):
        self.sent.append(("POST", path, dict(params or {}), dict(headers or {})))
        return self._answer(path, params or {})


STRICT_FIELDS = {"response": {"message": "success", "code": "0", "uri": "/api/contact/allfields", "fieldnames": {
    "fieldname": [{"DISPLAY_NAME": "Contact Email", "FIELD_NAME": "contact_email", "FIELD_ID": 1},
                  {"DISPLAY_NAME": "First Name", "FIELD_NAME": "firstname", "FIELD_ID": 2},
                  {"DISPLAY_NAME": "Region", "FIELD_NAME": "cf_region", "FIELD_ID": 3}]}}}
CONSENT_FIELDS = {"response": {"code": "0", "fieldname": [
    *STRICT_FIELDS["response"]["fieldnames"]["fieldname"],
    {"DISPLAY_NAME": "Subscription Type", "FIELD_NAME": "subscription_type", "FIELD_ID": 4},
    {"DISPLAY_NAME": "Lawful basis for communication", "FIELD_NAME": "lawful_basis", "FIELD_ID": 5}]}}
SUBSCRIBED = {"status": "success", "code": "0", "message": "User successfully subscribed.",
              "uri": "/api/v1.1/json/listsubscribe", "version": "1.1"}


def campaigns(**answers):
    from desktop_app.connectors.campaigns import CampaignsClient

    http = FakeCampaignsHttp(answers)
    return CampaignsClient(http), http


def test_allfields_items_with_only_the_three_documented_keys():
    from desktop_app.domain.mapping import FieldType

    client, _ = campaigns(**{"contact/allfields": STRICT_FIELDS})
    fields = {f.display_name: f for f in client.fields()}
    assert set(fields) == {"Contact Email", "First Name", "Region"}
    assert fields["Region"].type == FieldType.TEXT and not fields["Region"].mandatory and not fields["Region"].custom
    assert fields["Region"].field_name == "cf_region"
    assert fields["Contact Email"].mandatory and fields["Contact Email"].type == FieldType.EMAIL
    assert client.consent_fields().subscription_type is None and client.consent_fields().lawful_basis is None
    assert client.gdpr_enabled() is None  # absence cannot prove "off"


def test_consent_fields_are_found_by_display_name_and_never_mapping_targets():
    client, http = campaigns(**{"contact/allfields": CONSENT_FIELDS, "json/listsubscribe": SUBSCRIBED})
    assert [f.display_name for f in client.fields()] == ["Contact Email", "First Name", "Region"]
    consent = client.consent_fields()
    assert consent.subscription_type == "Subscription Type"
    assert consent.lawful_basis == "Lawful basis for communication"
    assert client.gdpr_enabled() is True
    client.subscribe("L1", {"Contact Email": "a@b.org"}, subscription_type="Non-marketing", lawful_basis="Contract")
    info = json.loads(http.sent[-1][2]["contactinfo"])
    assert info == {"Contact Email": "a@b.org", "Subscription Type": "Non-marketing",
                    "Lawful basis for communication": "Contract"}


def test_without_consent_fields_subscription_type_and_basis_are_not_sent():
    client, http = campaigns(**{"contact/allfields": STRICT_FIELDS, "json/listsubscribe": SUBSCRIBED})
    for _ in range(2):
        result = client.subscribe("L1", {"Contact Email": "a@b.org", "First Name": "A"},
                                  subscription_type="Marketing", lawful_basis="Consent")
        assert result.email == "a@b.org" and result.confirmation_sent is False
    posts = [s for s in http.sent if s[0] == "POST"]
    assert all(json.loads(p[2]["contactinfo"]) == {"Contact Email": "a@b.org", "First Name": "A"} for p in posts)
    assert [s[1] for s in http.sent].count("contact/allfields") == 1  # discovered once per client
    assert all(p[3] == {"Content-Type": "application/x-www-form-urlencoded"} for p in posts)
    assert set(posts[0][2]) == {"resfmt", "listkey", "contactinfo", "source"}  # documented params only


def test_a_confirmation_email_answer_is_confirmation_sent():
    answer = {**SUBSCRIBED, "message": "A confirmation email is sent to the user. User needs to confirm to "
                                       "successfully subscribe."}
    client, _ = campaigns(**{"json/listsubscribe": answer})
    result = client.subscribe("L1", {"Contact Email": "a@b.org"})
    assert result.confirmation_sent is True and not hasattr(result, "outcome")


@pytest.mark.parametrize(("message", "status", "reason"), [
    ("The contact a@b.org is unsubscribed and cannot be added.", "unsub", "unsubscribed"),
    ("Emails to this contact bounced.", "bounce", "bounced"),
    ("The contact marked a campaign as spam.", "spam", "spam_complaint"),
    ("The contact is in the do-not-mail list.", "dnm", "do_not_mail"),
    ("Do-not-mail error", "dnm", "do_not_mail"),
])
def test_2104_without_contact_status_derives_the_state_from_the_message(message, status, reason):
    from desktop_app.connectors.campaigns import SubscribeRefused

    refusal = ApiError("2104", message)  # the strict answer: no contact_status key
    client, _ = campaigns(**{"json/listsubscribe": refusal})
    with pytest.raises(SubscribeRefused) as info:
        client.subscribe("L1", {"Contact Email": "a@b.org"})
    assert info.value.code == "2104" and info.value.contact_status == status and info.value.reason == reason


def test_contact_level_refusals_and_other_errors():
    from desktop_app.connectors.campaigns import SubscribeRefused

    for code, reason in (("2004", "invalid_email"), ("2005", "role_email"), ("914", "plan_limit"),
                         ("2302", "plan_limit")):
        client, _ = campaigns(**{"json/listsubscribe": ApiError(code, "refused")})
        with pytest.raises(SubscribeRefused) as info:
            client.subscribe("L1", {"Contact Email": "a@b.org"})
        assert info.value.reason == reason and info.value.contact_status is None
    client, _ = campaigns(**{"json/listsubscribe": ApiError("2001", "Subscription error")})
    with pytest.raises(ApiError) as other:
        client.subscribe("L1", {"Contact Email": "a@b.org"})
    assert type(other.value) is ApiError and other.value.code == "2001"  # the engine decides


def test_topics_send_details_only_and_page_until_a_short_page():
    from desktop_app.connectors.campaigns import TOPICS_RANGE

    topics = [{"topicId": str(i), "topicName": f"T{i}", "primaryList": 1} for i in range(TOPICS_RANGE + 7)]

    def answer(params):
        details = json.loads(params["details"])
        page = topics[details["from_index"]:details["from_index"] + details["range"]]
        return {"code": "200", "message": "Success", "topicDetails": page}

    client, http = campaigns(topics=answer)
    got = client.topics()
    assert [t.id for t in got] == [t["topicId"] for t in topics]
    assert all(set(s[2]) == {"details"} for s in http.sent) and len(http.sent) == 2


def test_topics_stop_when_from_index_is_ignored():
    from desktop_app.connectors.campaigns import TOPICS_RANGE

    page = [{"topicId": str(i), "topicName": f"T{i}"} for i in range(TOPICS_RANGE)]
    client, http = campaigns(topics={"code": "200", "topicDetails": page})
    assert len(client.topics()) == TOPICS_RANGE and len(http.sent) == 2


def test_getmailinglists_2401_on_a_later_page_is_the_end():
    items = [{"listkey": f"k{i}", "listname": f"L{i}", "noofcontacts": "1"} for i in range(200)]

    def answer(params):
        if params["fromindex"] > 1:
            raise ApiError("2401", "No mailing list has been created")
        return {"status": "success", "code": 0, "list_of_details": items}

    client, _ = campaigns(getmailinglists=answer)
    assert len(client.lists()) == 200
    client, _ = campaigns(getmailinglists=ApiError("2501", "Listkey is empty or invalid."))
    with pytest.raises(ApiError):
        client.lists()


def test_only_documented_statuses():
    client, http = campaigns(getlistsubscribers={"status": "success", "code": 0, "list_of_details": []},
                             listsubscriberscount={"status": "success", "code": 0, "no_of_contacts": 3})
    for status, sent in (("active", "active"), ("unsubscribed", "unsub"), ("bounced", "bounce"),
                         ("recent", "recent"), ("most recent", "mostrecent")):
        assert list(client.subscribers("L1", status)) == []
        assert http.sent[-1][2]["status"] == sent
    for status in ("spam", "dnm", "all", "do_not_mail"):
        with pytest.raises(ValueError):
            list(client.subscribers("L1", status))
    for status in ("active", "unsub", "bounce", "spam"):
        assert client.count("L1", status) == 3
    for status in ("dnm", "all", "recent"):
        with pytest.raises(ValueError):
            client.count("L1", status)


def test_create_field_checks_the_name_first_and_proposes_a_valid_one():
    from desktop_app.connectors.campaigns import InvalidFieldName

    client, http = campaigns()
    with pytest.raises(InvalidFieldName) as info:
        client.create_field("Sales Region", "Text")
    assert info.value.code == "1001" and info.value.proposal == "SalesRegion"
    assert "SalesRegion" in info.value.message and http.sent == []  # nothing was sent


# --------------------------------------------------------------------------- one refresh for N writers


class FakeOAuth:
    def __init__(self) -> None:
        self.refreshes = 0
        self.lock = threading.Lock()

    def refresh(self, refresh_token):
        from desktop_app.connectors.auth import TokenSet

        with self.lock:
            self.refreshes += 1
            n = self.refreshes
        time.sleep(0.02)  # a slow server: other threads pile up meanwhile
        return TokenSet(f"access-{n}", None, "", time.time() + 3600, "http://accounts")


def test_n_writers_refused_at_once_cost_one_refresh():
    from desktop_app.connectors.auth import TokenManager, TokenSet
    from desktop_app.connectors.limiter import Limiter

    oauth = FakeOAuth()
    first = TokenSet("access-0", "r", "", time.time() + 3600, "http://accounts")
    tokens = TokenManager(oauth, "r", initial=first, limiter=Limiter(enabled=False))
    held = [tokens.access_token() for _ in range(8)]  # 8 writers sent with the same token…
    barrier = threading.Barrier(8)
    got = []

    def writer(token):
        barrier.wait()
        tokens.invalidate(token)  # …and were all refused at once
        got.append(tokens.access_token())

    threads = [threading.Thread(target=writer, args=(t,)) for t in held]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert oauth.refreshes == 1 and set(got) == {"access-1"}
    tokens.invalidate("access-0")  # a late writer with the old token: no second refresh
    assert tokens.access_token() == "access-1" and oauth.refreshes == 1


def test_a_token_refused_after_its_refreshes_is_auth_expired():
    from desktop_app.connectors.http import HttpService
    from desktop_app.connectors.limiter import Limiter

    class Tokens:
        def __init__(self):
            self.current, self.invalidated = "t0", []

        def access_token(self):
            return self.current

        def invalidate(self, token):
            self.invalidated.append(token)
            self.current = f"t{len(self.invalidated)}"

    class Session:
        def __init__(self):
            self.sent = []

        def request(self, method, url, params=None, data=None, headers=None, timeout=None):
            self.sent.append(dict(headers))
            return type("R", (), {"status_code": 200, "headers": {},
                                  "text": '{"status":"error","code":"1007","message":"Unauthorized key."}'})()

    tokens, session = Tokens(), Session()
    http = HttpService("http://x/api/v1.1", tokens=tokens, limiter=Limiter(enabled=False),
                       family_of=lambda m, p: "campaigns.lists", session=session)
    with pytest.raises(AuthExpired):
        http.post("getmailinglists", {}, idempotent=False,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    # A fresh token refused once may be Zoho's hiccup: two refreshes, two retries, then AuthExpired.
    assert tokens.invalidated == ["t0", "t1"] and len(session.sent) == 3
    assert all(h["Content-Type"] == "application/x-www-form-urlencoded" for h in session.sent)
    assert [h["Authorization"] for h in session.sent] == [f"Zoho-oauthtoken t{i}" for i in range(3)]


def test_a_provider_that_keeps_the_refused_token_is_auth_expired_without_resending():
    from desktop_app.connectors.http import HttpService
    from desktop_app.connectors.limiter import Limiter

    class StaticTokens:
        def access_token(self):
            return "t0"

        def invalidate(self, token):
            pass  # e.g. a token another thread already replaced… or none to refresh

    sent = []

    class Session:
        def request(self, method, url, **kw):
            sent.append(kw["headers"])
            return type("R", (), {"status_code": 200, "headers": {},
                                  "text": '{"status":"error","code":"1007","message":"Unauthorized key."}'})()

    http = HttpService("http://x/api/v1.1", tokens=StaticTokens(), limiter=Limiter(enabled=False),
                       family_of=lambda m, p: "campaigns.lists", session=Session())
    with pytest.raises(AuthExpired):
        http.get("getmailinglists", {"resfmt": "JSON"})
    assert len(sent) == 1
