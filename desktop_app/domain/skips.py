"""Why a customer was not sent to Campaigns: one enum, with the sentences users see."""

from __future__ import annotations

from enum import StrEnum


class SkipReason(StrEnum):
    NO_EMAIL = "no_email"
    INVALID_EMAIL = "invalid_email"
    ROLE_EMAIL = "role_email"
    DUPLICATE_IN_ORG = "duplicate_in_org"
    UNSUBSCRIBED = "unsubscribed"
    DO_NOT_MAIL = "do_not_mail"
    BOUNCED = "bounced"
    SPAM_COMPLAINT = "spam_complaint"
    REJECTED = "rejected"
    PLAN_LIMIT = "plan_limit"
    UNREADABLE_RECORD = "unreadable_record"

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    def describe(self, detail: str | None = None) -> str:
        """The user-facing message, with a detail (e.g. the other customer, Campaigns' code)."""
        return f"{self.message} ({detail})" if detail else self.message


_TITLES = {
    SkipReason.NO_EMAIL: "No email",
    SkipReason.INVALID_EMAIL: "Invalid email",
    SkipReason.ROLE_EMAIL: "Role address",
    SkipReason.DUPLICATE_IN_ORG: "Duplicate email",
    SkipReason.UNSUBSCRIBED: "Unsubscribed",
    SkipReason.DO_NOT_MAIL: "Do-not-mail",
    SkipReason.BOUNCED: "Bounced",
    SkipReason.SPAM_COMPLAINT: "Spam complaint",
    SkipReason.REJECTED: "Rejected by Campaigns",
    SkipReason.PLAN_LIMIT: "Plan limit reached",
    SkipReason.UNREADABLE_RECORD: "Unreadable record",
}

_MESSAGES = {
    SkipReason.NO_EMAIL: "The customer has no email address in Zoho Books.",
    SkipReason.INVALID_EMAIL: "The email address is not valid; correct it in Zoho Books.",
    SkipReason.ROLE_EMAIL: (
        "Role addresses (info@, support@, …) are refused by Zoho Campaigns; use a person's address."
    ),
    SkipReason.DUPLICATE_IN_ORG: (
        "Another customer in the organization has the same email; only the first one is synced."
    ),
    SkipReason.UNSUBSCRIBED: "The contact unsubscribed in Zoho Campaigns and is never re-subscribed.",
    SkipReason.DO_NOT_MAIL: "The contact is on the do-not-mail list in Zoho Campaigns.",
    SkipReason.BOUNCED: "Emails to this address bounced; Zoho Campaigns will not mail it.",
    SkipReason.SPAM_COMPLAINT: "The contact marked a campaign as spam; it is not re-subscribed.",
    SkipReason.REJECTED: "Zoho Campaigns refused the contact.",
    SkipReason.PLAN_LIMIT: (
        "The Zoho Campaigns plan's contact limit is reached; upgrade the plan or sync as Non-marketing."
    ),
    SkipReason.UNREADABLE_RECORD: (
        "Zoho Books sent this customer in a form the app cannot read; it is tried again on the next run."
    ),
}
