"""Field mapping: the catalogue of fields, each refusal of validate_mapping, type compatibility,
new-field names and turning a Books record into Campaigns contactinfo."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from desktop_app.domain.mapping import (
    BOOKS_STANDARD_FIELDS,
    CAMPAIGNS_EMAIL,
    CAMPAIGNS_STANDARD_FIELDS,
    NEW_FIELD_NAME_MAX,
    NEW_FIELD_NAME_RULE,
    BooksField,
    CampaignsField,
    FieldType,
    MappingRow,
    RowProblem,
    apply_mapping,
    books_custom_field,
    books_field,
    campaigns_field_name_problem,
    campaigns_length_for,
    campaigns_type_for,
    compatible,
    default_mapping,
    field_type_from_books,
    field_type_from_campaigns,
    is_legal_new_field_name,
    mapping_fingerprint,
    new_field_name,
    propose_campaigns_field_name,
    to_text,
    validate_mapping,
    values_hash,
)

T = FieldType
REGION = books_custom_field("cf_region", "Region", "string")
SIGNUP = books_custom_field("cf_signup_date", "Signup Date", "date")
BOOKS = (*BOOKS_STANDARD_FIELDS, REGION, SIGNUP)
SCORE = CampaignsField("Score", "score", T.INTEGER, custom=True)
BIRTHDAY = CampaignsField("Birthday", "birthday", T.DATE, custom=True)
CAMPAIGNS = (*CAMPAIGNS_STANDARD_FIELDS, SCORE, BIRTHDAY)
EMAIL_ROW = MappingRow("email", CAMPAIGNS_EMAIL, locked=True)


def check(*rows: MappingRow) -> list[RowProblem]:
    return validate_mapping(rows, BOOKS, CAMPAIGNS)


def only_problem(*rows: MappingRow) -> RowProblem:
    problems = check(*rows)
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- catalogue


def test_standard_books_fields():
    keys = [f.key for f in BOOKS_STANDARD_FIELDS]
    assert len(keys) == len(set(keys))
    assert len({f.label for f in BOOKS_STANDARD_FIELDS}) == len(keys)
    for key in ("email", "first_name", "last_name", "contact_name", "company_name", "phone", "mobile",
                "website", "contact_id", "status", "customer_sub_type", "created_time",
                "outstanding_receivable_amount", "billing_address.city", "billing_address.country"):
        assert books_field(key) is not None, key
    assert books_field("email") == BooksField("email", "Email", T.EMAIL)
    assert books_field("created_time").type is T.DATETIME
    assert books_field("outstanding_receivable_amount").type is T.DECIMAL
    assert books_field("billing_address.city").needs_detail
    assert books_field("website").needs_detail
    assert not books_field("first_name").needs_detail
    assert books_field("nope") is None


def test_books_custom_fields():
    assert BooksField("cf_region", "Region", T.TEXT) == REGION
    assert books_custom_field("tier", "Tier", "dropdown") == BooksField("cf_tier", "Tier", T.PICKLIST)
    assert books_custom_field("cf_x", "", None).label == "cf_x"


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [("string", T.TEXT), ("multiline", T.TEXTAREA), ("email", T.EMAIL), ("phone", T.PHONE),
     ("number", T.INTEGER), ("decimal", T.DECIMAL), ("amount", T.DECIMAL), ("percent", T.DECIMAL),
     ("date", T.DATE), ("datetime", T.DATETIME), ("check_box", T.BOOLEAN), ("url", T.URL),
     ("dropdown", T.PICKLIST), ("DATE", T.DATE), ("something-new", T.TEXT), (None, T.TEXT)],
)
def test_field_type_from_books(data_type, expected):
    assert field_type_from_books(data_type) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Text", T.TEXT), ("textarea", T.TEXTAREA), ("Email", T.EMAIL), ("Phone", T.PHONE),
     ("Integer", T.INTEGER), ("LongInteger", T.INTEGER), ("Decimal", T.DECIMAL), ("Percent", T.DECIMAL),
     ("Date", T.DATE), ("DateTime", T.DATETIME), ("Date Time", T.DATETIME), ("Checkbox", T.BOOLEAN),
     ("URL", T.URL), ("Picklist", T.PICKLIST), ("RadioOption", T.PICKLIST), ("Multiselect", T.PICKLIST),
     ("", T.TEXT), (None, T.TEXT), ("Hologram", T.TEXT)],
)
def test_field_type_from_campaigns(name, expected):
    assert field_type_from_campaigns(name) is expected


CUSTOM_ADD_TYPES = {"Text", "Integer", "Phone", "Date", "Picklist", "Email", "Checkbox", "LongInteger", "URL",
                    "textarea", "RadioOption", "Multiselect", "DateTime", "Decimal", "Percent"}


@pytest.mark.parametrize("field_type", list(FieldType))
def test_new_fields_get_a_documented_type_that_accepts_their_source(field_type):
    name = campaigns_type_for(field_type)
    assert name in CUSTOM_ADD_TYPES
    assert compatible(field_type, field_type_from_campaigns(name))
    assert campaigns_length_for(field_type) >= 10


def test_custom_add_types():
    assert [campaigns_type_for(t) for t in (T.TEXT, T.INTEGER, T.PHONE, T.DATE, T.EMAIL, T.BOOLEAN, T.URL,
                                            T.DECIMAL, T.DATETIME, T.TEXTAREA)] == [
        "Text", "Integer", "Phone", "Date", "Email", "Checkbox", "URL", "Decimal", "DateTime", "textarea",
    ]
    assert campaigns_type_for(T.PICKLIST) == "Text"  # custom/add takes no options
    assert campaigns_length_for(T.TEXT) > 20  # Zoho's default length of 20 is too short for names


# --------------------------------------------------------------------------- compatibility

ALL = set(FieldType)


@pytest.mark.parametrize(
    ("target", "accepted"),
    [
        (T.TEXT, ALL),
        (T.TEXTAREA, ALL),
        (T.EMAIL, {T.EMAIL}),
        (T.PHONE, {T.PHONE, T.TEXT}),
        (T.INTEGER, {T.INTEGER}),
        (T.DECIMAL, {T.INTEGER, T.DECIMAL}),
        (T.DATE, {T.DATE}),
        (T.DATETIME, {T.DATE, T.DATETIME}),
        (T.BOOLEAN, {T.BOOLEAN}),
        (T.URL, {T.URL, T.TEXT}),
        (T.PICKLIST, {T.PICKLIST}),
    ],
)
def test_compatibility_table(target, accepted):
    assert {source for source in FieldType if compatible(source, target)} == accepted


# --------------------------------------------------------------------------- validation: accepted


def test_default_mapping_is_valid():
    rows = default_mapping()
    assert rows[0] == EMAIL_ROW
    assert [(r.books_key, r.campaigns_field) for r in rows[1:]] == [
        ("first_name", "First Name"), ("last_name", "Last Name")]
    assert check(*rows) == []


def test_a_full_valid_mapping():
    rows = (
        *default_mapping(),
        MappingRow("company_name", "Company Name"),
        MappingRow("phone", "Phone"),
        MappingRow("mobile", "Mobile"),
        MappingRow("billing_address.city", "City"),
        MappingRow("website", "Company Website"),
        MappingRow("cf_region", "Region", new_field=True),
        MappingRow("cf_signup_date", "Birthday"),
        MappingRow("outstanding_receivable_amount", "OutstandingReceivableAmount", new_field=True),
        # The same Books field may feed two different Campaigns fields.
        MappingRow("first_name", "GreetingName", new_field=True),
    )
    assert check(*rows) == []


def test_contact_email_counts_as_existing_even_if_the_field_list_lacks_it():
    assert validate_mapping(default_mapping(), BOOKS, CAMPAIGNS_STANDARD_FIELDS[1:]) == []


def test_campaigns_names_match_ignoring_case_and_spacing():
    assert check(EMAIL_ROW, MappingRow("first_name", "first  name")) == []


# --------------------------------------------------------------------------- validation: each refusal


def test_refuses_a_mapping_without_email():
    problem = only_problem(MappingRow("first_name", "First Name"))
    assert problem.row == 0
    assert "Email → Contact Email is mandatory" in problem.message
    assert validate_mapping([], BOOKS, CAMPAIGNS) == [
        RowProblem(0, "Email → Contact Email is mandatory; it cannot be removed.")]


def test_refuses_contact_email_fed_by_another_field():
    problem = only_problem(MappingRow("contact_name", CAMPAIGNS_EMAIL, locked=True))
    assert problem.row == 0
    assert "only be filled from the Books Email field" in problem.message
    assert "Contact Name" in problem.message


def test_refuses_email_row_not_first():
    problem = only_problem(MappingRow("first_name", "First Name"), EMAIL_ROW)
    assert problem.row == 1
    assert "first, locked row" in problem.message


def test_refuses_email_row_not_locked():
    problem = only_problem(MappingRow("email", CAMPAIGNS_EMAIL), MappingRow("first_name", "First Name"))
    assert problem.row == 0
    assert "first, locked row" in problem.message


def test_refuses_a_locked_row_other_than_email():
    problem = only_problem(EMAIL_ROW, MappingRow("first_name", "First Name", locked=True))
    assert problem == RowProblem(1, "Only the Email → Contact Email row can be locked.")


@pytest.mark.parametrize("second", ["First Name", "first name", " First Name "])
def test_refuses_a_campaigns_field_mapped_twice_on_the_later_row(second):
    problems = check(EMAIL_ROW, MappingRow("first_name", "First Name"), MappingRow("contact_name", "Phone"),
                     MappingRow("last_name", second))
    assert problems == [RowProblem(
        3, f"“{second.strip()}” is already mapped on row 2; a Zoho Campaigns field can be mapped only once.")]


def test_refuses_the_same_pair_twice():
    same = MappingRow("first_name", "First Name")
    problem = only_problem(EMAIL_ROW, same, same)
    assert problem.row == 2 and "already mapped on row 2" in problem.message


def test_refuses_a_second_contact_email_row():
    problem = only_problem(EMAIL_ROW, MappingRow("email", CAMPAIGNS_EMAIL))
    assert problem.row == 1 and "first, locked row" in problem.message


def test_refuses_an_unknown_books_field():
    problem = only_problem(EMAIL_ROW, MappingRow("cf_gone", "First Name"))
    assert problem == RowProblem(
        1, "The Zoho Books field “cf_gone” is not known; choose another Books field.")


def test_refuses_an_empty_books_field():
    problem = only_problem(EMAIL_ROW, MappingRow("  ", "First Name"))
    assert problem == RowProblem(1, "Choose a Zoho Books field for this row.")


@pytest.mark.parametrize("target", ["", "   "])
def test_refuses_an_empty_campaigns_field(target):
    problem = only_problem(EMAIL_ROW, MappingRow("company_name", target))
    assert problem == RowProblem(1, "Choose the Zoho Campaigns field that “Company Name” goes into.")


def test_refuses_an_unknown_campaigns_field_without_new_field():
    problem = only_problem(EMAIL_ROW, MappingRow("cf_region", "Region"))
    assert problem == RowProblem(1, "“Region” does not exist in Zoho Campaigns; tick New field to create it.")


@pytest.mark.parametrize("target", ["Company Name", "company name", "Score"])
def test_refuses_new_field_for_an_existing_campaigns_field(target):
    problem = only_problem(EMAIL_ROW, MappingRow("company_name", target, new_field=True))
    assert problem.row == 1
    assert problem.message == f"“{target}” already exists in Zoho Campaigns; untick New field."


def test_refuses_new_field_on_contact_email():
    problem = only_problem(MappingRow("email", CAMPAIGNS_EMAIL, new_field=True, locked=True))
    assert "already exists in Zoho Campaigns; untick New field" in problem.message


@pytest.mark.parametrize(
    ("name", "proposal"),
    [("Region/Zone", "RegionZone"), ("Lead_Source", "LeadSource"), ("Price (€)", "Price"),
     (" Region", "Region"), ("Region ", "Region"), ("Two  Spaces", "TwoSpaces"), ("x" * 51, "X" + "x" * 49),
     ("Tab\there", "TabHere"), ("Sales Region", "SalesRegion"), ("Région 2", "Region2"), ("地域", "Field")],
)
def test_refuses_an_illegal_new_field_name_and_proposes_one(name, proposal):
    problem = only_problem(EMAIL_ROW, MappingRow("cf_region", name, new_field=True))
    assert problem.row == 1
    assert "cannot be created in Zoho Campaigns" in problem.message
    assert NEW_FIELD_NAME_RULE in problem.message
    assert f"use “{proposal}” instead" in problem.message
    assert campaigns_field_name_problem(proposal) is None


@pytest.mark.parametrize("name", ["Region", "Region2", "Zone51", "x" * NEW_FIELD_NAME_MAX, "GSTNumber", "2ndLine"])
def test_legal_new_field_names(name):
    assert is_legal_new_field_name(name) and campaigns_field_name_problem(name) is None
    assert check(EMAIL_ROW, MappingRow("cf_region", name, new_field=True)) == []


@pytest.mark.parametrize("name", ["", "Sales Region", "cf_region", "Région", "x" * 51, "a-b", "地域"])
def test_campaigns_field_name_problem_is_the_strict_alphanumeric_rule(name):
    problem = campaigns_field_name_problem(name)
    assert problem and problem.endswith(".")


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Region", "Region"), ("cf_sales_region", "SalesRegion"), ("Région de vente", "RegionDeVente"),
     ("GST number", "GSTNumber"), ("Billing Street 2", "BillingStreet2"), ("e-mail / opt-in", "EMailOptIn"),
     ("", "Field"), ("€€", "Field"), ("地域", "Field"), ("Long " * 20, "Long" * 12 + "Lo")],
)
def test_propose_campaigns_field_name(label, expected):
    name = propose_campaigns_field_name(label)
    assert name == expected and campaigns_field_name_problem(name) is None


@pytest.mark.parametrize(
    ("books_key", "target", "words"),
    [
        ("cf_signup_date", "Score", ["“Signup Date” (date)", "“Score” (integer)"]),
        ("first_name", "Score", ["“First Name” (text)", "“Score” (integer)"]),
        ("outstanding_receivable_amount", "Score", ["(decimal)", "(integer)"]),
        ("created_time", "Birthday", ["(datetime)", "(date)"]),
        ("first_name", "Birthday", ["(text)", "(date)"]),
    ],
)
def test_refuses_incompatible_types(books_key, target, words):
    problem = only_problem(EMAIL_ROW, MappingRow(books_key, target))
    assert problem.row == 1
    for word in words:
        assert word in problem.message
    assert "choose a text field" in problem.message


def test_reports_one_problem_per_row_across_many_rows():
    rows = (
        MappingRow("first_name", "First Name"),  # 0: no email row → reported at 0 too
        MappingRow("cf_gone", "Last Name"),  # 1: unknown Books field
        MappingRow("last_name", "Last Name"),  # 2: mapped twice (row 2)
        MappingRow("cf_region", "Region"),  # 3: unknown, New field not ticked
    )
    assert [(p.row, p.message.split(";")[0]) for p in check(*rows)] == [
        (0, "Email → Contact Email is mandatory"),
        (1, "The Zoho Books field “cf_gone” is not known"),
        (2, "“Last Name” is already mapped on row 2"),
        (3, "“Region” does not exist in Zoho Campaigns"),
    ]


# --------------------------------------------------------------------------- new field names


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (books_field("outstanding_receivable_amount"), "OutstandingReceivableAmount"),
        (books_field("billing_address.city"), "BillingCity"),
        (books_custom_field("cf_zone", "Region/Zone", "string"), "RegionZone"),
        (books_custom_field("cf_lead", "Lead_Source (web)", "string"), "LeadSourceWeb"),
        (books_custom_field("cf_euro", "€€", "string"), "Euro"),
        (books_custom_field("cf_long", "Long " * 20, "string"), "Long" * 12 + "Lo"),
    ],
)
def test_new_field_name_is_the_books_label_made_legal(field, expected):
    assert new_field_name(field) == expected
    assert is_legal_new_field_name(new_field_name(field))


def test_every_standard_field_gives_a_legal_new_name():
    for field in BOOKS_STANDARD_FIELDS:
        assert is_legal_new_field_name(new_field_name(field)), field


# --------------------------------------------------------------------------- apply_mapping

RECORD = {
    "contact_id": "460000000026049",
    "email": " Will.Smith@Bowman.COM ",
    "first_name": "Will",
    "last_name": "",
    "company_name": None,
    "phone": "+1-925-921-9201",
    "created_time": "2013-08-05T12:06:10+0530",
    "outstanding_receivable_amount": 1500.0,
    "billing_address": {"city": "Pleasanton", "country": "  "},
    "cf_region": "HEAD OFFICE",
}
ROWS = (
    *default_mapping(),
    MappingRow("company_name", "Company Name"),
    MappingRow("phone", "Phone"),
    MappingRow("created_time", "Created"),
    MappingRow("outstanding_receivable_amount", "Amount"),
    MappingRow("billing_address.city", "City"),
    MappingRow("billing_address.country", "Country"),
    MappingRow("billing_address.zip", "Zip Code"),
    MappingRow("cf_region", "Region"),
)


def test_apply_mapping_leaves_empty_values_out_when_update_empty_is_off():
    assert apply_mapping(RECORD, ROWS, update_empty=False) == {
        CAMPAIGNS_EMAIL: " Will.Smith@Bowman.COM ",  # normalised by the engine, not here
        "First Name": "Will",
        "Phone": "+1-925-921-9201",
        "Created": "2013-08-05T12:06:10+0530",
        "Amount": "1500",
        "City": "Pleasanton",
        "Region": "HEAD OFFICE",
    }


def test_apply_mapping_clears_empty_values_when_update_empty_is_on():
    values = apply_mapping(RECORD, ROWS, update_empty=True)
    assert values["Last Name"] == ""
    assert values["Company Name"] == ""
    assert values["Country"] == ""
    assert values["Zip Code"] == ""  # nested key absent
    assert values["First Name"] == "Will"
    assert len(values) == len(ROWS)


def test_apply_mapping_reads_nested_keys_defensively():
    rows = (MappingRow("billing_address.city", "City"),)
    assert apply_mapping({"billing_address": None}, rows, update_empty=False) == {}
    assert apply_mapping({"billing_address": "flat"}, rows, update_empty=True) == {"City": ""}
    assert apply_mapping({}, rows, update_empty=False) == {}


def test_apply_mapping_finds_custom_fields_in_detail_records():
    rows = (MappingRow("cf_region", "Region"), MappingRow("cf_tier", "Tier"))
    detail = {
        "custom_field_hash": {"cf_region": "North"},
        "custom_fields": [{"index": 1, "label": "Tier", "api_name": "cf_tier", "value": "Gold"}],
    }
    assert apply_mapping(detail, rows, update_empty=False) == {"Region": "North", "Tier": "Gold"}


def test_apply_mapping_skips_rows_without_a_target():
    assert apply_mapping(RECORD, (MappingRow("first_name", " "),), update_empty=True) == {}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""), ("as is ", "as is "), (True, "true"), (False, "false"), (0, "0"), (42, "42"),
        (1500.0, "1500"), (12.5, "12.5"), (0.1 + 0.2, "0.3"), (-0.0, "0"), (1e20, "100000000000000000000"),
        (2.5e-7, "0.00000025"), (float("nan"), ""), (float("inf"), ""), (Decimal("12.50"), "12.5"),
        (Decimal("100"), "100"), (date(2028, 2, 29), "2028-02-29"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"), (["a", " ", "b", None], "a, b"),
    ],
)
def test_to_text(value, text):
    assert to_text(value) == text


def test_false_is_a_value_not_an_empty():
    rows = (MappingRow("cf_vip", "VIP"),)
    assert apply_mapping({"cf_vip": False}, rows, update_empty=False) == {"VIP": "false"}


# --------------------------------------------------------------------------- hashes


def test_values_hash_is_stable_and_order_independent():
    a = values_hash({"First Name": "Will", "Last Name": "Smith"})
    assert a == values_hash({"Last Name": "Smith", "First Name": "Will"})
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert a != values_hash({"First Name": "Will", "Last Name": "Smyth"})
    assert values_hash({"a": "bc"}) != values_hash({"ab": "c"})
    assert values_hash({"x": ""}) != values_hash({})


def test_mapping_fingerprint():
    rows = default_mapping()
    fp = mapping_fingerprint(rows)
    assert re.fullmatch(r"[0-9a-f]{32}", fp)
    assert fp == mapping_fingerprint(tuple(reversed(rows)))  # order does not change what is sent
    assert fp != mapping_fingerprint((*rows, MappingRow("phone", "Phone")))
    assert fp != mapping_fingerprint((rows[0], rows[1], MappingRow("last_name", "Surname")))
    assert fp != mapping_fingerprint((rows[0], rows[1], MappingRow("contact_name", "Last Name")))


def test_a_staged_record_keeps_what_planning_and_the_mapping_read_and_maps_the_same():
    from desktop_app.domain.mapping import MappingRow, apply_mapping, default_mapping, kept_fields

    rows = [*default_mapping(), MappingRow("phone", "Phone"), MappingRow("cf_region", "Region"),
            MappingRow("billing_address.city", "City")]
    record = {"contact_id": "7", "contact_name": "Ada", "first_name": "Ada", "last_name": "L",
              "email": "ada@example.org", "last_modified_time": "2026-11-24T10:00:00+0530", "phone": "123",
              "billing_address": {"city": "Pune", "street": "x" * 500}, "notes": "n" * 2000,
              "custom_fields": [{"api_name": "cf_region", "value": "West"}, {"api_name": "cf_big", "value": "b" * 900}]}
    kept = kept_fields(record, rows)
    assert set(kept) == {"contact_id", "contact_name", "first_name", "last_name", "email", "last_modified_time",
                         "phone", "billing_address", "cf_region"}
    for update_empty in (False, True):
        assert apply_mapping(kept, rows, update_empty=update_empty) == apply_mapping(
            record, rows, update_empty=update_empty)
    assert len(str(kept)) < len(str(record)) / 3
