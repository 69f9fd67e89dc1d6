"""The per-customer decision of a run (domain/plan.py), with plain values."""

import pytest

from desktop_app.domain.mapping import MappingRow, default_mapping
from desktop_app.domain.plan import UNREADABLE_KEY, Action, LinkState, plan_customer
from desktop_app.domain.skips import SkipReason

ROWS = (*default_mapping(), MappingRow("phone", "Phone"))


def customer(**over):
    base = {"contact_id": "100", "contact_name": "Ann Lee", "first_name": "Ann", "last_name": "Lee",
            "email": "Ann.Lee@Example.com", "phone": "+1 555 0100"}
    base.update(over)
    return base


def plan(record, link=None, *, update_empty=False, suppressed=None, duplicate_of=None, listed=False):
    return plan_customer(record, link, rows=ROWS, update_empty=update_empty, suppressed=suppressed or {},
                         duplicate_of=duplicate_of, listed=listed)


def test_new_customer_is_added_with_mapped_values():
    p = plan(customer())
    assert p.action is Action.ADD
    assert p.email_key == "ann.lee@example.com"
    assert p.values == {"Contact Email": "Ann.Lee@example.com", "First Name": "Ann", "Last Name": "Lee",
                        "Phone": "+1 555 0100"}


def test_same_values_are_unchanged_and_a_change_is_an_update():
    first = plan(customer())
    link = LinkState(first.email_key, first.values_hash, True, "active")
    assert plan(customer(), link).action is Action.UNCHANGED
    assert plan(customer(phone="+1 555 0199"), link).action is Action.UPDATE


def test_link_not_in_list_is_added_again():
    first = plan(customer())
    assert plan(customer(), LinkState(first.email_key, first.values_hash, False)).action is Action.ADD


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"email": ""}, SkipReason.NO_EMAIL),
        ({"email": "ann@aol"}, SkipReason.INVALID_EMAIL),
        ({"email": "support@example.com"}, SkipReason.ROLE_EMAIL),
        ({UNREADABLE_KEY: "no last_modified_time"}, SkipReason.UNREADABLE_RECORD),
    ],
)
def test_skips_from_the_address(over, reason):
    p = plan(customer(**over))
    assert p.action is Action.SKIP and p.reason is reason


@pytest.mark.parametrize(
    ("status", "reason"),
    [("unsub", SkipReason.UNSUBSCRIBED), ("dnm", SkipReason.DO_NOT_MAIL), ("bounce", SkipReason.BOUNCED),
     ("spam", SkipReason.SPAM_COMPLAINT)],
)
def test_suppressed_contacts_are_never_resubscribed(status, reason):
    p = plan(customer(), suppressed={"ann.lee@example.com": status})
    assert p.action is Action.SKIP and p.reason is reason
    # The state table remembers a status seen earlier, even when the list read misses it.
    remembered = plan(customer(), LinkState("ann.lee@example.com", "x", True, status))
    assert remembered.reason is reason


def test_duplicate_is_skipped_naming_the_owner():
    p = plan(customer(contact_id="200"), duplicate_of="100")
    assert p.reason is SkipReason.DUPLICATE_IN_ORG and "100" in p.detail


def test_update_empty_off_leaves_cleared_values_out_and_on_sends_them_empty():
    assert "Phone" not in plan(customer(phone="")).values
    assert plan(customer(phone=""), update_empty=True).values["Phone"] == ""


def test_email_change_updates_the_linked_contact_and_reports_the_old_address():
    first = plan(customer())
    link = LinkState(first.email_key, first.values_hash, True, "active")
    p = plan(customer(email="ann@newco.example"), link)
    assert p.action is Action.UPDATE
    assert p.old_address == "ann.lee@example.com"
    assert p.values["Contact Email"] == "ann@newco.example"


def test_a_contact_awaiting_confirmation_is_never_sent_again():
    first = plan(customer())
    waiting = LinkState(first.email_key, first.values_hash, False, "awaiting")
    p = plan(customer(phone="+1 555 0199"), waiting)
    # Not re-sent (another confirmation email), and the hash of what was sent is kept.
    assert p.action is Action.UNCHANGED and p.awaiting and p.values_hash == first.values_hash


def test_a_contact_that_confirmed_is_in_the_list():
    first = plan(customer())
    waiting = LinkState(first.email_key, first.values_hash, False, "awaiting")
    same = plan(customer(), waiting, listed=True)
    assert same.action is Action.UNCHANGED and not same.awaiting
    assert plan(customer(phone="+1 555 0199"), waiting, listed=True).action is Action.UPDATE


def test_awaiting_counts_only_for_the_same_address():
    first = plan(customer())
    waiting = LinkState(first.email_key, first.values_hash, False, "awaiting")
    moved = plan(customer(email="ann@new.example.com"), waiting)
    assert moved.action is Action.ADD and moved.old_address == "ann.lee@example.com"
