import pytest

from desktop_app.domain import emails
from desktop_app.domain.skips import SkipReason


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ("Jane.Doe@Example.COM", "jane.doe@example.com", None),
        ("  jane@example.com \t", "jane@example.com", None),
        ("JANE@EXAMPLE.COM", "jane@example.com", None),
        ("jane+news@example.co.uk", "jane+news@example.co.uk", None),
        ("o'brien@example.ie", "o'brien@example.ie", None),
        ("user@münchen.de", "user@münchen.de", None),  # IDN domain encodes -> fine
        ("user@xn--mnchen-3ya.de", "user@xn--mnchen-3ya.de", None),
        ("", None, SkipReason.NO_EMAIL),
        ("   ", None, SkipReason.NO_EMAIL),
        (None, None, SkipReason.NO_EMAIL),
        ("a@b", "a@b", SkipReason.INVALID_EMAIL),
        ("johngmail.com", "johngmail.com", SkipReason.INVALID_EMAIL),
        ("jane@aol", "jane@aol", SkipReason.INVALID_EMAIL),
        ("ted@zylkercom", "ted@zylkercom", SkipReason.INVALID_EMAIL),
        ("jane@example.com.", "jane@example.com.", SkipReason.INVALID_EMAIL),
        ("jane.@example.com", "jane.@example.com", SkipReason.INVALID_EMAIL),
        (".jane@example.com", ".jane@example.com", SkipReason.INVALID_EMAIL),
        ("ja..ne@example.com", "ja..ne@example.com", SkipReason.INVALID_EMAIL),
        ("jane@exa..mple.com", "jane@exa..mple.com", SkipReason.INVALID_EMAIL),
        ("jane doe@example.com", "jane doe@example.com", SkipReason.INVALID_EMAIL),
        ("jane@@example.com", "jane@@example.com", SkipReason.INVALID_EMAIL),
        ("jane@example.c", "jane@example.c", SkipReason.INVALID_EMAIL),
        ("jane@-example.com", "jane@-example.com", SkipReason.INVALID_EMAIL),
        ("jöhn@example.com", "jöhn@example.com", SkipReason.INVALID_EMAIL),  # SMTPUTF8 local part
        ("Info@Example.com", "info@example.com", SkipReason.ROLE_EMAIL),
        ("support+billing@example.com", "support+billing@example.com", SkipReason.ROLE_EMAIL),
        ("no-reply@example.com", "no-reply@example.com", SkipReason.ROLE_EMAIL),
        ("sales@example.com", "sales@example.com", SkipReason.ROLE_EMAIL),
        ("salesperson@example.com", "salesperson@example.com", None),
    ],
)
def test_check_table(raw, key, problem):
    verdict = emails.check(raw)
    assert verdict.key == key
    assert verdict.problem is problem
    assert verdict.ok is (problem is None)


def test_identity_is_trim_and_casefold():
    assert emails.identity("  Ann@Example.COM ") == emails.identity("ann@example.com")
    assert emails.identity("STRASSE@x.de") == "strasse@x.de"


def test_clean_keeps_local_part_and_lowercases_domain():
    assert emails.clean("  Ann.Lee@Example.COM ") == "Ann.Lee@example.com"
    assert emails.clean("") is None


def test_every_skip_reason_has_words():
    for reason in SkipReason:
        assert reason.title and reason.message.endswith(".")
        assert reason.describe("code 2004").endswith("(code 2004)")
