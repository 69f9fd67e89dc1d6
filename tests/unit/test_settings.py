"""Sync settings: the two enums, coercion of plain values, and validate_settings' sentences."""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from desktop_app.domain.schedule import Schedule
from desktop_app.domain.settings import (
    NO_LAWFUL_BASIS_FIELD,
    NO_SUBSCRIPTION_FIELD,
    LawfulBasis,
    SubscriptionType,
    SyncSettings,
    double_opt_in_explanation,
    validate_settings,
)


def settings(**changes) -> SyncSettings:
    base = SyncSettings("3c20ad52", "Books customers", SubscriptionType.MARKETING)
    return dataclasses.replace(base, **changes)


def test_subscription_type():
    assert [(s.value, s.label) for s in SubscriptionType] == [
        ("marketing", "Marketing"), ("non-marketing", "Non-marketing")]
    for text in ("non-marketing", "Non-marketing", "NON_MARKETING", "non marketing", " nonmarketing "):
        assert SubscriptionType.parse(text) is SubscriptionType.NON_MARKETING
    assert SubscriptionType.parse("Marketing") is SubscriptionType.MARKETING
    with pytest.raises(ValueError, match="marketing or non-marketing"):
        SubscriptionType.parse("transactional")


def test_lawful_basis_values_and_labels():
    assert [(b.value, b.label) for b in LawfulBasis] == [
        ("consent", "Consent"),
        ("contract", "Contract"),
        ("legal-obligation", "Legal obligation"),
        ("vital-interests", "Vital interests"),
        ("public-task", "Public task"),
        ("legitimate-interests", "Legitimate interests"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("consent", LawfulBasis.CONSENT),
        ("Consent", LawfulBasis.CONSENT),
        ("legal-obligation", LawfulBasis.LEGAL_OBLIGATION),
        ("Legal obligation", LawfulBasis.LEGAL_OBLIGATION),
        ("LEGAL_OBLIGATION", LawfulBasis.LEGAL_OBLIGATION),
        ("  legal  obligation ", LawfulBasis.LEGAL_OBLIGATION),
        ("Legitimate Interests", LawfulBasis.LEGITIMATE_INTERESTS),
        ("vital_interests", LawfulBasis.VITAL_INTERESTS),
        ("Vital Interest", LawfulBasis.VITAL_INTERESTS),  # Zoho's own (singular) wording
        ("Legitimate Interest", LawfulBasis.LEGITIMATE_INTERESTS),
        ("PublicTask", LawfulBasis.PUBLIC_TASK),
        ("contract", LawfulBasis.CONTRACT),
        (LawfulBasis.CONTRACT, LawfulBasis.CONTRACT),
    ],
)
def test_lawful_basis_parse(text, expected):
    assert LawfulBasis.parse(text) is expected


@pytest.mark.parametrize("text", ["", "   ", "legitimate", "gdpr", "consents", "contracts"])
def test_lawful_basis_parse_refusal_lists_the_choices(text):
    with pytest.raises(ValueError) as err:
        LawfulBasis.parse(text)
    for basis in LawfulBasis:
        assert basis.value in str(err.value)


def test_settings_defaults():
    s = settings()
    assert s.topic_ids == ()
    assert s.lawful_basis is None
    assert s.update_empty is False
    assert s.schedule == Schedule.daily(time(9, 0)) == Schedule.default()


def test_settings_accept_plain_values_from_a_store_or_the_cli():
    s = SyncSettings("k", "List", "non-marketing", topic_ids=["1", 2], lawful_basis="Legal obligation",
                     schedule="every-4h")
    assert s.subscription_type is SubscriptionType.NON_MARKETING
    assert s.topic_ids == ("1", "2")
    assert s.lawful_basis is LawfulBasis.LEGAL_OBLIGATION
    assert s.schedule == Schedule.every(4)
    assert s == SyncSettings("k", "List", SubscriptionType.NON_MARKETING, ("1", "2"),
                             LawfulBasis.LEGAL_OBLIGATION, False, Schedule.every(4))
    hash(s)  # frozen and hashable


@pytest.mark.parametrize(
    "changes",
    [{"subscription_type": "sometimes"}, {"lawful_basis": "because"}, {"schedule": "every-3h"},
     {"topic_ids": "123"}],
)
def test_settings_refuse_bad_plain_values(changes):
    with pytest.raises(ValueError):
        settings(**changes)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings().list_key = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------- validate_settings


def test_valid_settings_have_no_problems():
    assert validate_settings(settings(), gdpr_enabled=False, topic_count=0) == []
    full = settings(topic_ids=("t1", "t2"), lawful_basis=LawfulBasis.CONSENT, update_empty=True)
    assert validate_settings(full, gdpr_enabled=True, topic_count=3) == []


def test_gdpr_on_without_lawful_basis_is_allowed():
    # Zoho: the lawful basis is not mandatory even with GDPR on.
    assert validate_settings(settings(), gdpr_enabled=True, topic_count=0) == []


@pytest.mark.parametrize("list_key", ["", "   "])
def test_no_list(list_key):
    assert validate_settings(settings(list_key=list_key), gdpr_enabled=False, topic_count=0) == [
        "Choose the Zoho Campaigns mailing list to sync into."]


def test_lawful_basis_while_gdpr_is_off():
    with_basis = settings(lawful_basis=LawfulBasis.CONTRACT)
    problems = validate_settings(with_basis, gdpr_enabled=False, topic_count=0)
    assert len(problems) == 1
    assert "GDPR is off in Zoho Campaigns" in problems[0]
    assert "Contract" in problems[0]


@pytest.mark.parametrize("topic_count", [0, 1])
def test_topics_need_more_than_one_topic(topic_count):
    problems = validate_settings(settings(topic_ids=("t1",)), gdpr_enabled=False, topic_count=topic_count)
    assert len(problems) == 1
    assert problems[0].startswith("Topics need more than one topic in Zoho Campaigns")
    assert f"has {topic_count}" in problems[0]


def test_duplicate_topics_reported_once_each():
    problems = validate_settings(settings(topic_ids=("t1", "t2", "t1", "t1", "t2", "t3")),
                                 gdpr_enabled=False, topic_count=5)
    assert problems == ["Topic t1 is chosen twice; choose each topic once.",
                        "Topic t2 is chosen twice; choose each topic once."]


def test_empty_topic_id():
    problems = validate_settings(settings(topic_ids=("t1", " ", "")), gdpr_enabled=False, topic_count=2)
    assert problems == ["A topic was chosen with an empty id; choose the topics again."]


def test_all_problems_at_once():
    s = settings(list_key="", lawful_basis=LawfulBasis.CONSENT, topic_ids=("t1", "t1"))
    problems = validate_settings(s, gdpr_enabled=False, topic_count=1)
    assert len(problems) == 4
    assert all(p.endswith(".") for p in problems)


# --------------------------------------------------------------------------- consent fields (issue 9)


def test_non_marketing_needs_a_subscription_type_field():
    non_marketing = settings(subscription_type=SubscriptionType.NON_MARKETING)
    assert validate_settings(non_marketing, gdpr_enabled=False, topic_count=0, subscription_field=True) == []
    assert validate_settings(non_marketing, gdpr_enabled=False, topic_count=0,
                             subscription_field=False) == [NO_SUBSCRIPTION_FIELD]
    # Marketing is Zoho's default: fine without the field
    assert validate_settings(settings(), gdpr_enabled=False, topic_count=0, subscription_field=False) == []
    assert "arrive as Marketing (Zoho's default)" in NO_SUBSCRIPTION_FIELD
    assert "change them in Zoho Campaigns" in NO_SUBSCRIPTION_FIELD


def test_a_lawful_basis_needs_a_lawful_basis_field_whatever_the_gdpr_answer():
    with_basis = settings(lawful_basis=LawfulBasis.CONSENT, gdpr=True)
    for gdpr in (True, False):
        assert validate_settings(with_basis, gdpr_enabled=gdpr, topic_count=0,
                                 lawful_basis_field=False) == [NO_LAWFUL_BASIS_FIELD]
    assert "GDPR" in NO_LAWFUL_BASIS_FIELD and "set it in Zoho Campaigns" in NO_LAWFUL_BASIS_FIELD


def test_the_gdpr_answer_is_kept_and_optional():
    assert settings().gdpr is None
    assert settings(gdpr=False).gdpr is False
    assert validate_settings(settings(gdpr=True), gdpr_enabled=True, topic_count=0,
                             lawful_basis_field=False) == []


def test_double_opt_in_explanation_names_the_list():
    text = double_opt_in_explanation("Newsletter")
    assert "“Newsletter”" in text and "confirmation email" in text and "double opt-in" in text
