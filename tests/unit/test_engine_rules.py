"""The engine's rules on in-memory fakes of Books and Campaigns, with a real SQLite store.

Fast and exact where the Sandbox tests are broad: the double opt-in probe and its decision,
added vs updated decided locally, systemic errors that never skip, locks that defer, and
do-not-mail / spam refusals remembered per address.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop_app.connectors.books import CustomerPage, customer_from_record
from desktop_app.connectors.errors import ApiError, AuthExpired, DailyCapReached, Locked, Unavailable
from desktop_app.domain import emails
from desktop_app.domain.mapping import default_mapping
from desktop_app.domain.run import Phase
from desktop_app.domain.skips import SkipReason
from desktop_app.domain.zoho import NotFound, SubscribeRefused
from desktop_app.engine.outcome import double_opt_in_message
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.run import SyncRun
from desktop_app.store import repo
from desktop_app.store.db import Database
from desktop_app.store.lock import RunLock
from desktop_app.store.models import (
    Connection,
    ContactLink,
    ListMember,
    Run,
    SkippedRecord,
    StagedCustomer,
    SuppressedAddress,
    Sync,
)
from desktop_app.store.runs import RunState

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
LIST = "LK"
LIST_NAME = "Customers"


# ---------------------------------------------------------------------- fakes


class FakeBooks:
    """Customers as Books lists them: newest last_modified_time first, 200 a page."""

    def __init__(self, n: int = 0) -> None:
        self.customers: dict[str, dict] = {}
        self.calls_made = 0
        self.flaky_pages: dict[int, int] = {}  # page number → how many more reads fail (Unavailable)
        self.pages_read: list[int] = []
        for i in range(1, n + 1):
            self.add(str(i), f"person{i}@example.com", modified=T0 + timedelta(hours=i))

    def add(self, cid: str, email: str, *, modified: datetime | None = None, **fields) -> None:
        self.customers[cid] = {"contact_id": cid, "contact_name": f"Person {cid}", "first_name": "Person",
                               "last_name": cid, "email": email, "last_modified_time":
                               (modified or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S%z"), **fields}

    def edit(self, cid: str, **fields) -> None:
        self.customers[cid].update(fields, last_modified_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S%z"))

    def iter_customer_pages(self, *, since=None, overlap=timedelta(minutes=10), start_page=1, **_):
        items = sorted((customer_from_record(c) for c in self.customers.values()),
                       key=lambda c: c.last_modified_time, reverse=True)
        cutoff = since - overlap if since is not None else None
        pages = [items[i:i + 200] for i in range(0, len(items), 200)] or [[]]
        for number, page in enumerate(pages, start=1):
            if number < start_page:
                continue
            self.calls_made += 1
            self.pages_read.append(number)
            if self.flaky_pages.get(number, 0) > 0:
                self.flaky_pages[number] -= 1
                raise Unavailable()
            reached = cutoff is not None and any(c.last_modified_time < cutoff for c in page)
            kept = [c for c in page if cutoff is None or c.last_modified_time >= cutoff]
            more = number < len(pages) and not reached
            yield CustomerPage(number, tuple(kept), more, reached)
            if not more:
                return

    def customer_detail(self, contact_id: str):
        self.calls_made += 1
        if contact_id not in self.customers:
            raise NotFound("1003", "The contact does not exist.")  # as BooksClient says it
        return customer_from_record(self.customers[contact_id])


@dataclass(frozen=True)
class Answer:
    """What CampaignsClient.subscribe returns: the address and whether a confirmation went out."""

    email: str
    confirmation_sent: bool


def refused(code: str, message: str, reason: SkipReason, status: str | None) -> SubscribeRefused:
    """A contact-level refusal as the Campaigns client raises it."""
    return SubscribeRefused(ApiError(code, message), status, reason)


class FakeCampaigns:
    """One list. ``double_opt_in``: a new contact gets a confirmation email and waits (pending)."""

    def __init__(self, *, double_opt_in: bool = False, members: set[str] = frozenset()) -> None:
        self.double_opt_in = double_opt_in
        self.members: dict[str, dict] = {m: {} for m in members}
        self.pending: dict[str, dict] = {}
        self.unsub: set[str] = set()
        self.bounce: set[str] = set()
        self.account_state: dict[str, str] = {}  # address → unsub | bounce | spam | dnm (refused with 2104)
        self.fail: dict[str, Exception] = {}  # address → error raised for it
        self.fail_from: tuple[int, Exception] | None = None  # from the n-th subscribe on, raise this
        self.flaky: dict[str, int] = {}  # address → how many more sends fail with Unavailable
        self.applied_flaky: dict[str, int] = {}  # the same, but the write happens before the failure
        self.sent: list[str] = []
        self.spans: list[tuple[float, float]] = []
        self.statuses_read: list[str] = []
        self.calls_made = 0
        self._lock = threading.Lock()

    def fields(self):
        return []

    def subscribers(self, list_key: str, status: str = "active"):
        assert list_key == LIST
        self.calls_made += 1
        self.statuses_read.append(status)
        if status == "active":
            return list(self.members)
        if status == "unsub":
            return sorted(self.unsub)
        if status == "bounce":
            return sorted(self.bounce)
        raise ValueError(f"Zoho documents no listing of {status!r} contacts")

    def subscribe(self, list_key, contactinfo, *, topic_ids=(), source="", subscription_type=None,
                  lawful_basis=None):
        email = contactinfo["Contact Email"].casefold()
        start = time.monotonic()
        time.sleep(0.002)
        with self._lock:
            self.calls_made += 1
            self.sent.append(email)
            n = len(self.sent)
            self.spans.append((start, time.monotonic()))
            if self.fail_from is not None and n >= self.fail_from[0]:
                raise self.fail_from[1]
            if email in self.fail:
                raise self.fail[email]
            if self.flaky.get(email, 0) > 0:
                self.flaky[email] -= 1
                raise Unavailable()
            if self.applied_flaky.get(email, 0) > 0:
                self.applied_flaky[email] -= 1
                self.members[email] = dict(contactinfo)
                raise Unavailable()
            state = self.account_state.get(email)
            if state:
                reason = {"unsub": SkipReason.UNSUBSCRIBED, "bounce": SkipReason.BOUNCED,
                          "spam": SkipReason.SPAM_COMPLAINT}.get(state, SkipReason.DO_NOT_MAIL)
                raise refused("2104", f"The contact is {state}.", reason, state)
            if email in self.members:
                self.members[email] = dict(contactinfo)
                return Answer(email, False)
            if self.double_opt_in:
                self.pending[email] = dict(contactinfo)
                return Answer(email, True)
            self.members[email] = dict(contactinfo)
            return Answer(email, False)

    def confirm_all(self) -> None:
        self.members.update(self.pending)
        self.pending.clear()


# ---------------------------------------------------------------------- set-up


@pytest.fixture
def db(tmp_path):
    database = Database.open(tmp_path / "app.db")
    with database.session() as s:
        conn = repo.save_connection(s, Connection(
            kind="sandbox", data_center="US", accounts_url="http://a", books_url="http://b",
            campaigns_url="http://c", client_id="cid", org_id="1", org_name="Acme", org_time_zone="UTC",
            books_owner_email="o@acme.test", campaigns_owner_email="o@acme.test", user_email="o@acme.test",
            gdpr_enabled=False, secret_key="refresh_token/1", created_at=T0))
        sync = repo.create_sync(s, Sync(
            connection_id=conn.id, list_key=LIST, list_name=LIST_NAME, subscription_type="marketing",
            topic_ids=[], update_empty=False, schedule_spec="daily 02:00", paused=False, mapping_version=1,
            mapping_fingerprint="fp", needs_full=True))
        repo.replace_mapping(s, sync, [(r.books_key, r.campaigns_field, r.new_field, r.locked)
                                       for r in default_mapping()])
    yield database
    database.close()


def run(db, tmp_path, books, campaigns, *, clock=None, force_full=False, batch_size=10, workers=4,
        pauses: list[float] | None = None):
    """One run; the engine's retry pauses are recorded in ``pauses`` instead of slept."""
    runner = SyncRun(RunState(db), books, campaigns, lock=RunLock(tmp_path / "run.lock"), force_full=force_full,
                     batch_size=batch_size, workers=workers, **({"clock": clock} if clock else {}),
                     sleep=(pauses if pauses is not None else []).append)
    return runner.execute()


def sync_row(db) -> Sync:
    with db.read_session() as s:
        return repo.get_sync(s)


def link(db, cid: str) -> ContactLink | None:
    with db.read_session() as s:
        return s.get(ContactLink, (1, cid))


def skipped(db, run_id: int) -> list[SkippedRecord]:
    with db.read_session() as s:
        return list(repo.skipped_for(s, run_id))


def set_mode(db, mode: str) -> None:
    with db.session() as s:
        repo.set_opt_in_mode(s, repo.get_sync(s), mode)


# ---------------------------------------------------------------------- double opt-in


def test_unknown_list_is_probed_with_one_subscribe_then_writes_go_parallel(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "completed" and outcome.counts.added == 30
    assert sync_row(db).opt_in_mode == "direct"
    first_end = campaigns.spans[0][1]
    assert all(start >= first_end for start, _ in campaigns.spans[1:]), "the probe did not go out alone"
    # Later writes overlap (several workers).
    assert any(b[0] < a[1] for a, b in zip(campaigns.spans[1:], campaigns.spans[2:], strict=False))


def test_a_double_opt_in_list_stops_after_one_confirmation_and_asks(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns(double_opt_in=True)
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "needs_decision" and outcome.decision == "double_opt_in"
    assert outcome.error == ("The list “Customers” sends a confirmation email to each new contact (double "
                             "opt-in): 1 customer was sent one and joins only after confirming. Accept double "
                             "opt-in or choose another list.")
    assert outcome.error == double_opt_in_message(LIST_NAME, 1)
    assert (outcome.counts.awaiting, outcome.counts.added, outcome.counts.total) == (1, 0, 1)
    assert len(campaigns.sent) == 1 and not campaigns.members
    probe = link(db, "1")
    assert (probe.campaigns_status, probe.in_list) == ("awaiting", False)
    assert link(db, "2") is None, "nothing else of the batch was recorded"
    assert sync_row(db).opt_in_mode == "unknown"
    with db.read_session() as s:
        row = s.get(Run, outcome.run_id)
        assert (row.status, row.awaiting, row.total) == ("needs_decision", 1, 1)

    # Undecided: running again emails nobody and starts no new run.
    again = run(db, tmp_path, books, campaigns)
    assert (again.status, again.run_id, again.error) == ("needs_decision", outcome.run_id, outcome.error)
    assert len(campaigns.sent) == 1

    # Accepted: every other customer gets its confirmation and counts awaiting, never added; the
    # first is not emailed again.
    set_mode(db, "double_accepted")
    accepted = run(db, tmp_path, books, campaigns)
    assert accepted.status == "completed" and accepted.run_id != outcome.run_id
    assert (accepted.counts.added, accepted.counts.awaiting, accepted.counts.unchanged) == (0, 29, 1)
    assert len(campaigns.sent) == 30 and campaigns.sent.count("person1@example.com") == 1

    # They confirm; a full run finds them among the list's members and treats them as in the list.
    campaigns.confirm_all()
    full = run(db, tmp_path, books, campaigns, force_full=True)
    assert full.status == "completed" and full.counts.unchanged == 30 and len(campaigns.sent) == 30
    assert (link(db, "1").campaigns_status, link(db, "1").in_list) == ("active", True)


def test_choosing_another_list_resets_the_mode_and_the_awaiting_contacts(db, tmp_path):
    books, campaigns = FakeBooks(5), FakeCampaigns(double_opt_in=True)
    assert run(db, tmp_path, books, campaigns).status == "needs_decision"
    with db.session() as s:
        repo.set_opt_in_mode(s, repo.get_sync(s), "double_accepted")
        repo.reset_links_for_new_list(s, 1)  # the service does this when the list changes
        repo.get_sync(s).needs_full = True
    assert sync_row(db).opt_in_mode == "unknown"
    assert link(db, "1").campaigns_status is None
    campaigns.double_opt_in = False
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "completed" and outcome.counts.added == 5
    assert sync_row(db).opt_in_mode == "direct"


def test_a_direct_list_that_starts_confirming_asks_again(db, tmp_path):
    books, campaigns = FakeBooks(5), FakeCampaigns()
    assert run(db, tmp_path, books, campaigns).status == "completed"
    campaigns.double_opt_in = True
    for i in (6, 7):
        books.add(str(i), f"person{i}@example.com")
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "needs_decision" and outcome.counts.awaiting == 2
    assert sync_row(db).opt_in_mode == "unknown"


def test_refused_probes_prove_nothing_and_the_next_add_goes_alone(db, tmp_path):
    books, campaigns = FakeBooks(10), FakeCampaigns(double_opt_in=True)
    campaigns.account_state["person1@example.com"] = "dnm"
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "needs_decision"
    assert campaigns.sent == ["person1@example.com", "person2@example.com"]
    assert (outcome.counts.skipped, outcome.counts.awaiting) == (1, 1)


# ---------------------------------------------------------------------- added vs updated


def test_five_books_edits_make_five_updates_and_no_addition(db, tmp_path):
    books, campaigns = FakeBooks(20), FakeCampaigns()
    first = run(db, tmp_path, books, campaigns)
    assert (first.status, first.counts.added, first.counts.updated) == ("completed", 20, 0)
    for cid in ("3", "7", "11", "15", "19"):
        books.edit(cid, first_name="Edited")
    sent_before = len(campaigns.sent)
    second = run(db, tmp_path, books, campaigns)
    assert second.kind == "incremental" and second.status == "completed"
    assert (second.counts.updated, second.counts.added) == (5, 0)
    assert len(campaigns.sent) - sent_before == 5
    assert campaigns.members["person7@example.com"]["First Name"] == "Edited"


def test_a_full_run_counts_addresses_already_in_the_list_as_updated(db, tmp_path):
    books = FakeBooks(10)
    campaigns = FakeCampaigns(members={"person2@example.com", "person9@example.com"})
    outcome = run(db, tmp_path, books, campaigns)
    assert (outcome.counts.added, outcome.counts.updated) == (8, 2)


# ---------------------------------------------------------------------- systemic errors


def test_sign_in_expiring_mid_batch_fails_keeps_what_was_answered_and_the_next_run_continues(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    campaigns.fail_from = (15, AuthExpired())
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "failed" and "reconnect" in outcome.error.lower()
    # Batch 1 (10) and the 4 of batch 2 answered before the sign-in died are recorded; none skipped.
    assert (outcome.counts.added, outcome.counts.skipped, outcome.counts.total) == (14, 0, 14)
    assert skipped(db, outcome.run_id) == []
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ContactLink)) == 14
        row = s.get(Run, outcome.run_id)
        # Its one page was read and is being written (pages are written as they are read).
        assert row.status == "failed" and (row.checkpoint["stage"], row.checkpoint["page"]) == ("read", 1)
        assert row.checkpoint["written"] == 10  # batch 1; batch 2 is in flight:
        assert len(row.checkpoint["done"]) == 4 and len(row.checkpoint["pending"]) == 6
    answered = campaigns.sent[:14]

    # Reconnected: the next run continues the same run; the answered contacts are not sent again.
    campaigns.fail_from = None
    again = run(db, tmp_path, books, campaigns)
    assert (again.run_id, again.status) == (outcome.run_id, "completed")
    assert (again.counts.added, again.counts.total) == (30, 30)
    assert all(campaigns.sent.count(email) == 1 for email in answered)
    assert len(set(campaigns.sent)) == 30
    with db.read_session() as s:
        row = s.get(Run, outcome.run_id)
        assert row.error_message is None and row.checkpoint is None
        assert any(n.startswith("Interrupted at ") and "; continued at " in n for n in row.notes)


def _unknown(code: str = "910") -> ApiError:
    return ApiError(code, "Invalid field name")


def test_five_contacts_in_a_row_with_one_unknown_code_fail_the_run_and_none_is_skipped(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    # Customers 9..13: two at the end of the first batch of ten, three in the second.
    for i in range(9, 14):
        campaigns.fail[f"person{i}@example.com"] = _unknown()
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "failed"
    assert "910" in outcome.error and "5 contacts in a row" in outcome.error
    assert outcome.counts.skipped == 0 and outcome.counts.added == 8
    assert skipped(db, outcome.run_id) == []
    with db.read_session() as s:
        row = s.get(Run, outcome.run_id)
        assert (row.skipped, row.total) == (0, 8)


def test_four_in_a_row_are_skipped_as_rejected(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    for i in range(9, 13):
        campaigns.fail[f"person{i}@example.com"] = _unknown()
    campaigns.fail["person20@example.com"] = _unknown()  # the run was broken: a new one starts
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "completed"
    assert (outcome.counts.skipped, outcome.counts.added) == (5, 25)
    rows = skipped(db, outcome.run_id)
    assert {r.reason_code for r in rows} == {"rejected"} and all("910" in r.reason_message for r in rows)


def test_different_unknown_codes_do_not_add_up(db, tmp_path):
    books, campaigns = FakeBooks(20), FakeCampaigns()
    for i, code in zip(range(3, 9), ("910", "911", "910", "911", "910", "911"), strict=True):
        campaigns.fail[f"person{i}@example.com"] = _unknown(code)
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "completed" and outcome.counts.skipped == 6


def test_unknown_codes_on_every_probe_fail_after_five_sent_alone(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    campaigns.fail_from = (1, _unknown())
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "failed" and "910" in outcome.error
    assert len(campaigns.sent) == 5 and outcome.counts.total == 0
    assert sync_row(db).opt_in_mode == "unknown"


def test_a_lock_defers_and_the_resume_counts_each_customer_once(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    until = datetime.now(UTC) + timedelta(minutes=30)
    campaigns.fail_from = (15, Locked("listsubscribe", until))
    now = [datetime.now(UTC)]
    outcome = run(db, tmp_path, books, campaigns, clock=lambda: now[0])
    assert outcome.status == "deferred" and outcome.resume_at == until
    assert (outcome.counts.total, outcome.counts.skipped) == (14, 0)  # the answered ones are kept
    # Before the lock ends nothing is sent.
    sent = len(campaigns.sent)
    assert run(db, tmp_path, books, campaigns, clock=lambda: now[0]).status == "deferred"
    assert len(campaigns.sent) == sent
    campaigns.fail_from = None
    now[0] = until + timedelta(seconds=1)
    resumed = run(db, tmp_path, books, campaigns, clock=lambda: now[0])
    assert resumed.run_id == outcome.run_id and resumed.status == "completed"
    assert (resumed.counts.added, resumed.counts.total) == (30, 30)


# ---------------------------------------------------------------------- suppression


def test_only_unsub_and_bounce_are_listed(db, tmp_path):
    books, campaigns = FakeBooks(6), FakeCampaigns()
    campaigns.unsub.add("person2@example.com")
    campaigns.bounce.add("person3@example.com")
    outcome = run(db, tmp_path, books, campaigns)
    assert set(campaigns.statuses_read) <= {"active", "unsub", "bounce"}
    assert outcome.counts.skipped == 2 and "person2@example.com" not in campaigns.sent
    assert {r.reason_code for r in skipped(db, outcome.run_id)} == {"unsubscribed", "bounced"}


def test_do_not_mail_and_spam_refusals_are_remembered_per_address(db, tmp_path):
    books, campaigns = FakeBooks(6), FakeCampaigns()
    campaigns.account_state.update({"person2@example.com": "dnm", "person4@example.com": "spam"})
    first = run(db, tmp_path, books, campaigns)
    assert first.status == "completed" and first.counts.skipped == 2
    assert {r.reason_code for r in skipped(db, first.run_id)} == {"do_not_mail", "spam_complaint"}
    assert link(db, "2").campaigns_status == "dnm"
    with db.read_session() as s:
        assert dict(s.execute(select(SuppressedAddress.email_key, SuppressedAddress.campaigns_status)).all()) == {
            "person2@example.com": "dnm", "person4@example.com": "spam"}
    before = len(campaigns.sent)

    # A full run does not send them again.
    full = run(db, tmp_path, books, campaigns, force_full=True)
    assert full.counts.skipped == 2 and campaigns.sent[before:].count("person2@example.com") == 0

    # The addresses move: customer 2 changes its email, a new customer takes the old one; customer 4
    # leaves Books and another takes its address. Neither address is ever sent again.
    books.edit("2", email="fresh2@example.com")
    books.add("50", "person2@example.com")
    del books.customers["4"]
    books.add("51", "Person4@Example.com")
    before = len(campaigns.sent)
    moved = run(db, tmp_path, books, campaigns, force_full=True)
    assert moved.status == "completed"
    assert not {"person2@example.com", "person4@example.com"} & set(campaigns.sent[before:])
    assert "fresh2@example.com" in campaigns.sent[before:]
    reasons = {r.books_contact_id: r.reason_code for r in skipped(db, moved.run_id)}
    assert reasons == {"50": "do_not_mail", "51": "spam_complaint"}


# ---------------------------------------------------------------------- transient failures, resume


def _run_row(db, run_id: int) -> Run:
    with db.read_session() as s:
        return s.get(Run, run_id)


def test_transient_write_failures_are_sent_again_in_the_same_run(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    campaigns.flaky = {"person3@example.com": 2, "person17@example.com": 1}
    campaigns.applied_flaky = {"person25@example.com": 1}  # written, then the answer failed
    pauses: list[float] = []
    outcome = run(db, tmp_path, books, campaigns, pauses=pauses)
    assert outcome.status == "completed" and outcome.counts.added == 30 and outcome.counts.updated == 0
    # Only the contacts whose send failed went again; growing pauses between the rounds.
    assert campaigns.sent.count("person3@example.com") == 3
    assert campaigns.sent.count("person17@example.com") == 2
    assert campaigns.sent.count("person25@example.com") == 2
    assert len(campaigns.sent) == 30 + 2 + 1 + 1
    assert pauses and pauses[:2] == [2.0, 10.0]


def test_a_books_page_failing_transiently_is_read_again_from_the_checkpoint(db, tmp_path):
    books, campaigns = FakeBooks(450), FakeCampaigns()  # three pages
    books.flaky_pages = {2: 2}
    outcome = run(db, tmp_path, books, campaigns, batch_size=50)
    assert outcome.status == "completed" and outcome.counts.added == 450
    assert books.pages_read == [1, 2, 2, 2, 3]  # page 1 was not read again


def test_a_run_that_gives_up_fails_keeps_its_place_and_the_next_run_continues_it(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    # person15 fails on the first send and all four retry rounds: the run gives up in batch 2,
    # after the other nine contacts of the batch were answered. Its first failed send was applied.
    campaigns.applied_flaky = {"person15@example.com": 1}
    campaigns.flaky = {"person15@example.com": 4}
    pauses: list[float] = []
    first = run(db, tmp_path, books, campaigns, pauses=pauses)
    assert first.status == "failed"
    assert first.error == ("Zoho did not answer properly; try again later. "
                           "The next run continues where this one stopped.")
    assert len(pauses) == 4
    assert (first.counts.added, first.counts.total) == (19, 19)
    row = _run_row(db, first.run_id)
    assert row.checkpoint["pending"] == {"15": "add"} and row.checkpoint["failed_attempts"] == 1
    assert (row.calls_books, row.calls_campaigns) == (books.calls_made, campaigns.calls_made)
    with db.read_session() as s:
        assert repo.failure_streak(s, 1)[0] == 1
    sent_before = len(campaigns.sent)

    # The next run (a full run would now find person15 in the list) continues the same row: only
    # person15 and the third batch are sent, and person15 counts added, once.
    second = run(db, tmp_path, books, campaigns, pauses=pauses)
    assert (second.run_id, second.status) == (first.run_id, "completed")
    assert (second.counts.added, second.counts.updated, second.counts.total) == (30, 0, 30)
    assert campaigns.sent[sent_before:].count("person15@example.com") == 1
    assert len(campaigns.sent) - sent_before == 11
    row = _run_row(db, first.run_id)
    assert (row.calls_books, row.calls_campaigns) == (books.calls_made, campaigns.calls_made)
    assert row.checkpoint is None and row.error_message is None
    note = next(n for n in row.notes if n.startswith("Interrupted at "))
    assert "Zoho did not answer properly" in note and "; continued at " in note
    with db.read_session() as s:
        assert repo.failure_streak(s, 1)[0] == 0
        assert s.scalar(select(func.count()).select_from(Run)) == 1


def test_failing_again_after_resuming_counts_each_attempt_for_the_backoff(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    campaigns.fail_from = (1, Unavailable())
    for attempt in (1, 2, 3):
        outcome = run(db, tmp_path, books, campaigns)
        assert outcome.status == "failed"
        with db.read_session() as s:
            assert repo.failure_streak(s, 1)[0] == attempt
            assert s.scalar(select(func.count()).select_from(Run)) == 1
    notes = _run_row(db, outcome.run_id).notes
    assert sum(n.startswith("Interrupted at ") for n in notes) == 2


def test_a_changed_mapping_starts_afresh_and_the_adds_in_flight_still_count_added(db, tmp_path):
    books, campaigns = FakeBooks(30), FakeCampaigns()
    campaigns.applied_flaky = {"person15@example.com": 1}
    campaigns.flaky = {"person15@example.com": 4}
    first = run(db, tmp_path, books, campaigns)
    assert first.status == "failed" and first.counts.added == 19
    with db.session() as s:  # the user edits the mapping (the service bumps the version)
        sync = repo.get_sync(s)
        sync.mapping_version += 1
        sync.needs_full = True
    second = run(db, tmp_path, books, campaigns, force_full=True)
    assert second.run_id != first.run_id and second.status == "completed"
    # person15 is in the list now (its failed send was applied), yet it is this sync's own add.
    assert second.counts.added == 11 and second.counts.unchanged == 19
    old = _run_row(db, first.run_id)
    assert old.status == "failed" and "stage" not in (old.checkpoint or {})
    assert any("Not continued" in n for n in old.notes)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(StagedCustomer)) == 0


# ---------------------------------------------------------------------- the remaining run rules


def test_two_customers_with_one_address_sync_the_first_and_skip_the_other_as_a_duplicate(db, tmp_path):
    books, campaigns = FakeBooks(5), FakeCampaigns()
    books.add("6", "PERSON2@example.com")  # the same identity as customer 2, in other case
    outcome = run(db, tmp_path, books, campaigns)
    assert (outcome.counts.added, outcome.counts.skipped) == (5, 1)
    (row,) = skipped(db, outcome.run_id)
    assert (row.books_contact_id, row.reason_code) == ("6", SkipReason.DUPLICATE_IN_ORG)
    assert campaigns.sent.count("person2@example.com") == 1


def test_a_changed_email_subscribes_the_new_address_and_notes_that_the_old_one_stays(db, tmp_path):
    books, campaigns = FakeBooks(5), FakeCampaigns()
    run(db, tmp_path, books, campaigns)
    books.edit("3", email="new3@example.com")
    outcome = run(db, tmp_path, books, campaigns)
    assert (outcome.kind, outcome.counts.updated, outcome.counts.added) == ("incremental", 1, 0)
    assert "new3@example.com" in campaigns.members and "person3@example.com" in campaigns.members
    assert link(db, "3").email_key == emails.identity("new3@example.com")
    with db.read_session() as s:
        notes = s.get(Run, outcome.run_id).notes
    assert any("changed email from person3@example.com to new3@example.com" in n for n in notes)


def test_an_emptied_field_is_left_out_unless_update_empty_is_on(db, tmp_path):
    books, campaigns = FakeBooks(5), FakeCampaigns()
    run(db, tmp_path, books, campaigns)
    books.edit("4", last_name="")
    assert run(db, tmp_path, books, campaigns).counts.updated == 1
    assert "Last Name" not in campaigns.members["person4@example.com"]  # Campaigns keeps its value
    with db.session() as s:
        repo.update_sync(s, repo.get_sync(s), update_empty=True)
    books.edit("4", last_name="")
    assert run(db, tmp_path, books, campaigns).counts.updated == 1
    assert campaigns.members["person4@example.com"]["Last Name"] == ""  # cleared there too


def _stopping_run(db, tmp_path, books, campaigns, stop):
    """A run whose progress sink calls ``stop(token)`` once the first batch is written."""
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.phase is Phase.WRITING and p.done:
            stop(token)

    return SyncRun(RunState(db), books, campaigns, lock=RunLock(tmp_path / "run.lock"), progress=progress,
                   cancel=token, batch_size=10, workers=2, sleep=[].append).execute()


def test_cancel_stops_at_a_batch_boundary_and_the_next_run_adds_only_the_rest(db, tmp_path):
    books, campaigns = FakeBooks(50), FakeCampaigns()
    stopped = _stopping_run(db, tmp_path, books, campaigns, lambda token: token.cancel())
    assert stopped.status == "cancelled" and stopped.counts.added == 10
    assert len(campaigns.members) == 10
    rest = run(db, tmp_path, books, campaigns)
    assert rest.status == "completed" and rest.counts.added == 40
    assert sorted(campaigns.sent) == sorted(set(campaigns.sent)) and len(campaigns.members) == 50


def test_pause_pressed_elsewhere_stops_the_run_and_a_paused_sync_resumes_where_it_stopped(db, tmp_path):
    books, campaigns = FakeBooks(50), FakeCampaigns()

    def pause_elsewhere(_token) -> None:  # as another process (the CLI's "sync pause") would
        with db.session() as s:
            repo.update_sync(s, repo.get_sync(s), paused=True)

    stopped = _stopping_run(db, tmp_path, books, campaigns, pause_elsewhere)
    assert stopped.status == "cancelled" and 10 <= stopped.counts.added < 50
    with db.session() as s:
        repo.update_sync(s, repo.get_sync(s), paused=False)
    rest = run(db, tmp_path, books, campaigns)
    assert rest.status == "completed"
    assert stopped.counts.added + rest.counts.added == 50 and len(campaigns.sent) == 50


def test_the_books_daily_cap_defers_the_run_which_waits_then_continues_from_its_page(db, tmp_path):
    books, campaigns = FakeBooks(450), FakeCampaigns()
    reset = T0 + timedelta(days=1)
    real_pages = books.iter_customer_pages

    def capped(**kw):
        for page in real_pages(**kw):
            if page.page == 2 and capped.on:
                raise DailyCapReached(reset)
            yield page

    capped.on = True
    books.iter_customer_pages = capped
    now = [T0]
    first = run(db, tmp_path, books, campaigns, clock=lambda: now[0])
    # Page 1 was written before page 2 hit the cap: the cap does not hold back what was read.
    assert first.status == "deferred" and first.resume_at == reset
    assert first.counts.added == 200 and len(campaigns.sent) == 200
    before = books.calls_made
    waiting = run(db, tmp_path, books, campaigns, clock=lambda: now[0])
    assert (waiting.status, waiting.run_id, books.calls_made) == ("deferred", first.run_id, before)  # no call
    capped.on, now[0] = False, reset + timedelta(minutes=1)
    books.pages_read.clear()
    done = run(db, tmp_path, books, campaigns, clock=lambda: now[0])
    assert (done.status, done.run_id, done.counts.added) == ("completed", first.run_id, 450)
    assert books.pages_read == [2, 3]  # page 1 was staged (and written) before the cap
    assert len(campaigns.sent) == len(set(campaigns.sent)) == 450


# ---------------------------------------------------------------------- pages written as they are read


def test_each_books_page_is_written_before_the_next_is_read(db, tmp_path):
    books, campaigns = FakeBooks(450), FakeCampaigns()
    events: list[str] = []
    real_pages, real_subscribe = books.iter_customer_pages, campaigns.subscribe

    def pages(**kw):
        for page in real_pages(**kw):
            events.append(f"page {page.page}")
            yield page

    def subscribe(*args, **kw):
        events.append("write")
        return real_subscribe(*args, **kw)

    books.iter_customer_pages, campaigns.subscribe = pages, subscribe
    outcome = run(db, tmp_path, books, campaigns)
    assert outcome.status == "completed" and outcome.counts.added == 450
    page2, page3 = events.index("page 2"), events.index("page 3")
    assert events[:page2].count("write") == 200 and events[page2:page3].count("write") == 200
    with db.read_session() as s:  # the list as the run read it is gone with its staging
        assert s.scalar(select(func.count()).select_from(ListMember)) == 0
        assert s.scalar(select(func.count()).select_from(StagedCustomer)) == 0


def test_a_customer_read_twice_while_pages_shift_is_counted_and_sent_once(db, tmp_path):
    books, campaigns = FakeBooks(300), FakeCampaigns()
    real_pages = books.iter_customer_pages

    def shifting(**kw):
        seen: list = []
        for page in real_pages(**kw):
            if page.page == 2:  # an edit moved a customer to the front: page 1's last one comes again
                yield CustomerPage(2, (seen[-1], *page.customers), page.has_more, page.reached_watermark)
                continue
            seen.extend(page.customers)
            yield page

    books.iter_customer_pages = shifting
    outcome = run(db, tmp_path, books, campaigns)
    assert (outcome.counts.added, outcome.counts.total) == (300, 300)
    assert len(campaigns.sent) == len(set(campaigns.sent)) == 300


def test_an_address_stays_with_the_customer_holding_it_when_a_lower_id_twin_appears(db, tmp_path):
    books, campaigns = FakeBooks(0), FakeCampaigns()
    books.add("500", "shared@example.com", first_name="Holder")
    assert run(db, tmp_path, books, campaigns).counts.added == 1
    books.add("200", "Shared@Example.com", first_name="Twin")  # a lower contact id, created later
    for force_full in (False, True):
        outcome = run(db, tmp_path, books, campaigns, force_full=force_full)
        (row,) = [r for r in skipped(db, outcome.run_id) if r.books_contact_id == "200"]
        assert row.reason_code == SkipReason.DUPLICATE_IN_ORG and "500" in row.reason_message
        assert campaigns.members["shared@example.com"]["First Name"] == "Holder"
    assert link(db, "500").in_list


# ---------------------------------------------------------------------- batch size


class SizeLog(RunState):
    """The real store, noting the size of each batch the engine asks for."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.sizes: list[int] = []

    def batch_inputs(self, sync_id, run_id, after, size, skip=frozenset()):
        self.sizes.append(size)
        return super().batch_inputs(sync_id, run_id, after, size, skip)


def test_a_fast_run_writes_bigger_batches_and_each_customer_once(db, tmp_path):
    books, campaigns = FakeBooks(400), FakeCampaigns()  # two Books pages
    state = SizeLog(db)
    outcome = SyncRun(state, books, campaigns, lock=RunLock(tmp_path / "run.lock"), batch_size=10,
                      max_batch=200, sleep=[].append).execute()
    assert outcome.status == "completed" and outcome.counts.added == 400
    assert sorted(campaigns.sent) == sorted(set(campaigns.sent)) and len(campaigns.sent) == 400
    assert state.sizes[0] == 10 and max(state.sizes) > 10 and all(10 <= s <= 200 for s in state.sizes)


def test_without_a_larger_bound_the_batch_size_stays(db, tmp_path):
    books, campaigns = FakeBooks(60), FakeCampaigns()
    state = SizeLog(db)
    SyncRun(state, books, campaigns, lock=RunLock(tmp_path / "run.lock"), batch_size=10,
            sleep=[].append).execute()
    assert set(state.sizes) == {10}


class Killed(BaseException):
    """The process dies here: nothing after it is recorded (as kill -9)."""


def test_a_run_killed_mid_batch_and_resumed_with_smaller_batches_counts_each_add_once(db, tmp_path):
    books, campaigns = FakeBooks(300), FakeCampaigns()
    set_mode(db, "direct")
    campaigns.fail_from = (150, Killed())  # the second batch of 100: 49 written, then the process dies
    with pytest.raises(Killed):
        SyncRun(RunState(db), books, campaigns, lock=RunLock(tmp_path / "run.lock"), batch_size=100,
                workers=1, sleep=[].append).execute()
    assert len(campaigns.members) == 149
    campaigns.fail_from = None
    outcome = SyncRun(RunState(db), books, campaigns, lock=RunLock(tmp_path / "run.lock"), batch_size=10,
                      sleep=[].append).execute()
    assert outcome.status == "completed" and len(campaigns.members) == 300
    with db.read_session() as s:
        runs = list(repo.runs_for(s, None))
    assert sum(r.added for r in runs) == 300 and sum(r.updated for r in runs) == 0
