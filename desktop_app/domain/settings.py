"""The sync's settings (SPEC R9–R14): list, subscription type, topics, lawful basis, update-empty
and schedule, with the checks the wizard and ``sync create`` run before saving.

Decision: Zoho documents the lawful basis as not mandatory even with GDPR on (reference §3.6),
so "GDPR on and no lawful basis" is allowed and not reported. A lawful basis with GDPR off is
refused, because Campaigns has no place to store it then.

Consent through the API (issue 9): Zoho documents no subscription-type or lawful-basis parameter.
They can be sent only as the account's own contact fields ("Subscription Type", "Lawful Basis"),
when the account has them. Without a Subscription Type field every contact arrives as Marketing
(Zoho's default), so Non-marketing is refused; without a Lawful Basis field the basis cannot be set
and the user is asked instead whether GDPR compliance is on (``SyncSettings.gdpr``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from desktop_app.domain.schedule import Schedule, parse_schedule

NO_SUBSCRIPTION_FIELD = (
    "This Zoho Campaigns account has no Subscription Type field the API can set: contacts arrive as "
    "Marketing (Zoho's default). To make them Non-marketing, change them in Zoho Campaigns."
)
GDPR_QUESTION = "Is GDPR compliance turned on in your Zoho Campaigns account?"
NO_LAWFUL_BASIS_FIELD = (
    "This Zoho Campaigns account has no Lawful Basis field the API can set, so the lawful basis "
    "cannot be set through Zoho's API: if GDPR compliance is on, set it in Zoho Campaigns."
)



def double_opt_in_explanation(list_name: str) -> str:
    """Why a run stopped with status ``needs_decision`` (the CLI and the window add how to decide)."""
    return (f"The list “{list_name}” sends a confirmation email to each new contact (double opt-in): every "
            "customer would get one and joins the list only after confirming it.")


def _squash(text: str) -> str:
    """Case, spaces, underscores and hyphens don't matter when a person types a choice."""
    return re.sub(r"[\s_\-]+", "", str(text)).casefold()


class SubscriptionType(StrEnum):
    MARKETING = "marketing"
    NON_MARKETING = "non-marketing"

    @property
    def label(self) -> str:
        return "Marketing" if self is SubscriptionType.MARKETING else "Non-marketing"

    @classmethod
    def parse(cls, text: str | SubscriptionType) -> SubscriptionType:
        key = _squash(text)
        for member in cls:
            if key in (_squash(member.value), _squash(member.label)):
                return member
        raise ValueError(f"Subscription type {text!r} is not valid; choose marketing or non-marketing.")


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal-obligation"
    VITAL_INTERESTS = "vital-interests"
    PUBLIC_TASK = "public-task"
    LEGITIMATE_INTERESTS = "legitimate-interests"

    @property
    def label(self) -> str:
        return _BASIS_LABELS[self]

    @classmethod
    def parse(cls, text: str | LawfulBasis) -> LawfulBasis:
        """Accepts the value, the label or variants ("Legal Obligation", "legal_obligation"), and
        Zoho's singular wording ("Legitimate Interest", "Vital Interest")."""
        key = _squash(text)
        if key:
            for member in cls:
                if _squash(member.value) in (key, key + "s"):
                    return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"Lawful basis {text!r} is not valid; choose one of: {choices}.")


_BASIS_LABELS = {
    LawfulBasis.CONSENT: "Consent",
    LawfulBasis.CONTRACT: "Contract",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation",
    LawfulBasis.VITAL_INTERESTS: "Vital interests",
    LawfulBasis.PUBLIC_TASK: "Public task",
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests",
}


@dataclass(frozen=True)
class SyncSettings:
    list_key: str
    list_name: str
    subscription_type: SubscriptionType
    topic_ids: tuple[str, ...] = ()
    lawful_basis: LawfulBasis | None = None
    update_empty: bool = False
    schedule: Schedule = field(default_factory=Schedule.default)
    # The user's answer to GDPR_QUESTION when the account has no Lawful Basis field (None: not
    # asked, because the field shows GDPR is on, or not answered).
    gdpr: bool | None = None

    def __post_init__(self) -> None:
        # Accept the plain forms a store row or the CLI holds (str, list) and keep the typed ones.
        if not isinstance(self.subscription_type, SubscriptionType):
            object.__setattr__(self, "subscription_type", SubscriptionType.parse(self.subscription_type))
        if self.lawful_basis is not None and not isinstance(self.lawful_basis, LawfulBasis):
            object.__setattr__(self, "lawful_basis", LawfulBasis.parse(self.lawful_basis))
        if isinstance(self.topic_ids, str):
            raise ValueError("topic_ids must be a sequence of topic ids, not one string.")
        object.__setattr__(self, "topic_ids", tuple(str(t) for t in self.topic_ids))
        if isinstance(self.schedule, str):
            object.__setattr__(self, "schedule", parse_schedule(self.schedule))


def validate_settings(settings: SyncSettings, *, gdpr_enabled: bool, topic_count: int,
                      subscription_field: bool = True, lawful_basis_field: bool = True) -> list[str]:
    """What is wrong with the settings, as sentences a user can act on (empty: fine).

    ``subscription_field`` / ``lawful_basis_field``: whether the account has the consent field the
    API can set (``CampaignsClient.consent_fields()``); ``gdpr_enabled``: GDPR is on (detected, or
    the user's answer).
    """
    problems: list[str] = []
    if not settings.list_key.strip():
        problems.append("Choose the Zoho Campaigns mailing list to sync into.")
    if settings.subscription_type is SubscriptionType.NON_MARKETING and not subscription_field:
        problems.append(NO_SUBSCRIPTION_FIELD)
    if settings.lawful_basis is not None and not lawful_basis_field:
        problems.append(NO_LAWFUL_BASIS_FIELD)
    elif settings.lawful_basis is not None and not gdpr_enabled:
        problems.append(
            f"A lawful basis ({settings.lawful_basis.label}) can only be set when GDPR is on; "
            "GDPR is off in Zoho Campaigns, so leave the lawful basis empty."
        )
    if settings.topic_ids and topic_count <= 1:
        problems.append(
            "Topics need more than one topic in Zoho Campaigns; "
            f"this account has {max(topic_count, 0)}, so leave the topics empty."
        )
    seen: set[str] = set()
    reported: set[str] = set()
    for topic_id in settings.topic_ids:
        if not topic_id.strip():
            if "" not in reported:
                problems.append("A topic was chosen with an empty id; choose the topics again.")
            reported.add("")
        elif topic_id in seen and topic_id not in reported:
            problems.append(f"Topic {topic_id} is chosen twice; choose each topic once.")
            reported.add(topic_id)
        seen.add(topic_id)
    return problems
