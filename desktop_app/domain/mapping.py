"""Field mapping (SPEC R15, R13, R21): Books fields, Campaigns fields, the rows that join them,
the rules a mapping must follow, and turning one Books record into Campaigns ``contactinfo``.

Decisions where Zoho is silent [INF]:
- New Campaigns field names: ASCII letters and digits only, 1–50 characters
  (:func:`campaigns_field_name_problem`, :data:`NEW_FIELD_NAME_RULE`): ``custom/add`` documents
  "alphanumeric", and the strict reading (the Sandbox's default) refuses spaces, accents and
  underscores with ``1001``. :func:`propose_campaigns_field_name` makes a valid name of a label.
- The same Books field may feed several Campaigns fields; a Campaigns field takes one Books field.
- A Books picklist creates a *Text* field: ``custom/add`` takes no picklist options, and an
  option-less picklist would refuse every value.
- ``RowProblem.row`` is the 0-based index into the rows; messages speak of 1-based row numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    URL = "url"
    PICKLIST = "picklist"


# --------------------------------------------------------------------------- Books side


@dataclass(frozen=True)
class BooksField:
    key: str  # attribute of a Books customer record; dotted for nested ones ("billing_address.city")
    label: str
    type: FieldType
    needs_detail: bool = False  # only GET /contacts/{id} has it


def _bf(key: str, label: str, type_: FieldType = FieldType.TEXT, detail: bool = False) -> BooksField:
    return BooksField(key, label, type_, detail)


BOOKS_EMAIL_KEY = "email"

# List-call attributes first (reference §2.3), then those only the detail call has (§2.4).
BOOKS_STANDARD_FIELDS: tuple[BooksField, ...] = (
    _bf("email", "Email", FieldType.EMAIL),
    _bf("first_name", "First Name"),
    _bf("last_name", "Last Name"),
    _bf("contact_name", "Contact Name"),
    _bf("company_name", "Company Name"),
    _bf("phone", "Phone", FieldType.PHONE),
    _bf("mobile", "Mobile", FieldType.PHONE),
    _bf("contact_id", "Contact ID"),
    _bf("status", "Status"),
    _bf("currency_code", "Currency Code"),
    _bf("payment_terms_label", "Payment Terms"),
    _bf("outstanding_receivable_amount", "Outstanding Receivable Amount", FieldType.DECIMAL),
    _bf("created_time", "Created Time", FieldType.DATETIME),
    _bf("last_modified_time", "Last Modified Time", FieldType.DATETIME),
    # The list carries these only sometimes (§2.3 "don't rely on them"), the detail always.
    _bf("customer_sub_type", "Customer Sub Type", detail=True),
    _bf("website", "Website", FieldType.URL, detail=True),
    _bf("billing_address.attention", "Billing Attention", detail=True),
    _bf("billing_address.address", "Billing Street", detail=True),
    _bf("billing_address.street2", "Billing Street 2", detail=True),
    _bf("billing_address.city", "Billing City", detail=True),
    _bf("billing_address.state", "Billing State", detail=True),
    _bf("billing_address.zip", "Billing Zip", detail=True),
    _bf("billing_address.country", "Billing Country", detail=True),
    _bf("billing_address.phone", "Billing Phone", FieldType.PHONE, detail=True),
    _bf("shipping_address.city", "Shipping City", detail=True),
    _bf("shipping_address.state", "Shipping State", detail=True),
    _bf("shipping_address.zip", "Shipping Zip", detail=True),
    _bf("shipping_address.country", "Shipping Country", detail=True),
)

_BOOKS_BY_KEY = {f.key: f for f in BOOKS_STANDARD_FIELDS}


def books_field(key: str) -> BooksField | None:
    """The standard Books field with this key, or None (custom fields come from the account)."""
    return _BOOKS_BY_KEY.get(key)


def row_books_field(key: str) -> BooksField:
    """The Books field of a mapping row; custom (cf_*) and unknown keys are list-item text fields."""
    return _BOOKS_BY_KEY.get(key) or BooksField(key, key, FieldType.TEXT)


_BOOKS_DATA_TYPES = {
    "string": FieldType.TEXT, "text": FieldType.TEXT, "autonumber": FieldType.TEXT,
    "lookup": FieldType.TEXT, "multiline": FieldType.TEXTAREA, "textarea": FieldType.TEXTAREA,
    "email": FieldType.EMAIL, "phone": FieldType.PHONE, "url": FieldType.URL,
    "number": FieldType.INTEGER, "integer": FieldType.INTEGER,
    "decimal": FieldType.DECIMAL, "amount": FieldType.DECIMAL, "percent": FieldType.DECIMAL,
    "double": FieldType.DECIMAL, "date": FieldType.DATE, "datetime": FieldType.DATETIME,
    "date_time": FieldType.DATETIME, "check_box": FieldType.BOOLEAN, "checkbox": FieldType.BOOLEAN,
    "boolean": FieldType.BOOLEAN, "dropdown": FieldType.PICKLIST, "picklist": FieldType.PICKLIST,
    "multiselect": FieldType.PICKLIST,
}


def field_type_from_books(data_type: str | None) -> FieldType:
    """A Books custom field's ``data_type`` → FieldType; unknown types are treated as text."""
    return _BOOKS_DATA_TYPES.get((data_type or "").strip().lower(), FieldType.TEXT)


def books_custom_field(api_name: str, label: str, data_type: str | None) -> BooksField:
    """A Books custom field; its record key is its ``cf_…`` api_name (list items carry it so)."""
    key = api_name if api_name.startswith("cf_") else f"cf_{api_name}"
    return BooksField(key, label or key, field_type_from_books(data_type))


# --------------------------------------------------------------------------- Campaigns side

CAMPAIGNS_EMAIL = "Contact Email"


@dataclass(frozen=True)
class CampaignsField:
    display_name: str  # the contactinfo key
    field_name: str
    type: FieldType
    mandatory: bool = False
    custom: bool = False


# Fields every Campaigns account has [INF: names from contact/allfields samples and the UI].
CAMPAIGNS_STANDARD_FIELDS: tuple[CampaignsField, ...] = (
    CampaignsField(CAMPAIGNS_EMAIL, "contact_email", FieldType.EMAIL, mandatory=True),
    CampaignsField("First Name", "firstname", FieldType.TEXT),
    CampaignsField("Last Name", "lastname", FieldType.TEXT),
    CampaignsField("Company Name", "companyname", FieldType.TEXT),
    CampaignsField("Phone", "phone", FieldType.PHONE),
    CampaignsField("Mobile", "mobile", FieldType.PHONE),
    CampaignsField("Job Title", "jobtitle", FieldType.TEXT),
    CampaignsField("Department", "department", FieldType.TEXT),
    CampaignsField("City", "city", FieldType.TEXT),
    CampaignsField("State", "state", FieldType.TEXT),
    CampaignsField("Country", "country", FieldType.TEXT),
    CampaignsField("Zip Code", "zipcode", FieldType.TEXT),
    CampaignsField("Company Website", "companywebsite", FieldType.URL),
)

# custom/add ``fieldtype`` per FieldType (reference §3.3).
_CAMPAIGNS_TYPE_NAMES = {
    FieldType.TEXT: "Text",
    FieldType.TEXTAREA: "textarea",
    FieldType.EMAIL: "Email",
    FieldType.PHONE: "Phone",
    FieldType.INTEGER: "Integer",
    FieldType.DECIMAL: "Decimal",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "DateTime",
    FieldType.BOOLEAN: "Checkbox",
    FieldType.URL: "URL",
    FieldType.PICKLIST: "Text",  # see module docstring
}

# custom/add ``fieldlength`` (Zoho's default of 20 is too short for names and addresses) [INF].
_CAMPAIGNS_LENGTHS = {FieldType.TEXTAREA: 1000, FieldType.PHONE: 30, FieldType.INTEGER: 20,
                      FieldType.DECIMAL: 20, FieldType.DATE: 20, FieldType.DATETIME: 30,
                      FieldType.BOOLEAN: 10}


def campaigns_type_for(field_type: FieldType) -> str:
    """The custom/add ``fieldtype`` for a new field fed by a Books field of this type."""
    return _CAMPAIGNS_TYPE_NAMES[FieldType(field_type)]


def campaigns_length_for(field_type: FieldType) -> int:
    """The custom/add ``fieldlength`` for a new field of this type [INF]."""
    return _CAMPAIGNS_LENGTHS.get(FieldType(field_type), 255)


_CAMPAIGNS_TYPES = {
    "text": FieldType.TEXT, "textarea": FieldType.TEXTAREA, "email": FieldType.EMAIL,
    "phone": FieldType.PHONE, "integer": FieldType.INTEGER, "longinteger": FieldType.INTEGER,
    "decimal": FieldType.DECIMAL, "percent": FieldType.DECIMAL, "date": FieldType.DATE,
    "datetime": FieldType.DATETIME, "checkbox": FieldType.BOOLEAN, "url": FieldType.URL,
    "picklist": FieldType.PICKLIST, "radiooption": FieldType.PICKLIST, "multiselect": FieldType.PICKLIST,
}


def field_type_from_campaigns(type_name: str | None) -> FieldType:
    """A Campaigns field type name (``FIELD_TYPE`` / custom/add ``fieldtype``) → FieldType.

    Unknown or missing types count as text, the one type that accepts anything.
    """
    return _CAMPAIGNS_TYPES.get(re.sub(r"[\s_\-]", "", type_name or "").lower(), FieldType.TEXT)


# Which Books types each Campaigns type accepts. Text targets accept anything (values are sent
# as strings); everything else needs a value Campaigns will parse.
_ACCEPTS: dict[FieldType, frozenset[FieldType]] = {
    FieldType.TEXT: frozenset(FieldType),
    FieldType.TEXTAREA: frozenset(FieldType),
    FieldType.EMAIL: frozenset({FieldType.EMAIL}),
    FieldType.PHONE: frozenset({FieldType.PHONE, FieldType.TEXT}),
    FieldType.INTEGER: frozenset({FieldType.INTEGER}),
    FieldType.DECIMAL: frozenset({FieldType.INTEGER, FieldType.DECIMAL}),
    FieldType.DATE: frozenset({FieldType.DATE}),
    FieldType.DATETIME: frozenset({FieldType.DATETIME, FieldType.DATE}),
    FieldType.BOOLEAN: frozenset({FieldType.BOOLEAN}),
    FieldType.URL: frozenset({FieldType.URL, FieldType.TEXT}),
    FieldType.PICKLIST: frozenset({FieldType.PICKLIST}),
}


def compatible(books_type: FieldType, campaigns_type: FieldType) -> bool:
    """Can a Books value of ``books_type`` go into a Campaigns field of ``campaigns_type``?"""
    return FieldType(books_type) in _ACCEPTS[FieldType(campaigns_type)]


# --------------------------------------------------------------------------- new fields

NEW_FIELD_NAME_MAX = 50
NEW_FIELD_NAME_RULE = (
    f"a new Zoho Campaigns field name has 1–{NEW_FIELD_NAME_MAX} letters (A–Z) and digits only "
    "(no spaces, accents, underscores or other characters)"
)
_CAMPAIGNS_NAME = re.compile(r"[A-Za-z0-9]+")
FALLBACK_FIELD_NAME = "Field"


def campaigns_field_name_problem(name: str) -> str | None:
    """Why ``custom/add`` would refuse ``name``, or None when it is a valid new field name.

    Zoho documents ``fieldname`` as "alphanumeric"; the strict reading (the Sandbox's default)
    allows ASCII letters and digits only, 1–50 of them.
    """
    if not name:
        return "The new field needs a name."
    if len(name) > NEW_FIELD_NAME_MAX:
        return f"“{name[:20]}…” is longer than {NEW_FIELD_NAME_MAX} characters."
    if not _CAMPAIGNS_NAME.fullmatch(name):
        return f"“{name}” has characters Zoho Campaigns refuses in a field name: {NEW_FIELD_NAME_RULE}."
    return None


def propose_campaigns_field_name(label: str) -> str:
    """A valid new Campaigns field name from a label: accents stripped, words CamelCased, ≤ 50.

    ``"Region"`` → ``"Region"``, ``"cf_sales_region"`` → ``"SalesRegion"``, ``"Région de vente"``
    → ``"RegionDeVente"``; nothing usable → ``"Field"``.
    """
    text = (label or "").strip()
    if text.lower().startswith("cf_"):
        text = text[3:]
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    name = "".join(w[0].upper() + w[1:] for w in words)[:NEW_FIELD_NAME_MAX]
    return name or FALLBACK_FIELD_NAME


def is_legal_new_field_name(name: str) -> bool:
    return campaigns_field_name_problem(name) is None


def new_field_name(field: BooksField) -> str:
    """The Campaigns field a New-field row creates: the Books label, made a valid name."""
    for source in (field.label, field.key):
        name = propose_campaigns_field_name(source)
        if name != FALLBACK_FIELD_NAME:
            return name
    return FALLBACK_FIELD_NAME


# --------------------------------------------------------------------------- mapping rows


@dataclass(frozen=True)
class MappingRow:
    books_key: str
    campaigns_field: str  # a Campaigns display name
    new_field: bool = False  # create the Campaigns field at Initiate
    locked: bool = False  # the Email → Contact Email row


def books_label(key: str) -> str:
    """What a person reads for a Books field key: the standard field's label, or a custom field's
    name made readable (``cf_region`` → "Region"), as the wizard shows it."""
    for f in BOOKS_STANDARD_FIELDS:
        if f.key == key:
            return f.label
    if key.startswith("cf_"):
        return key.removeprefix("cf_").replace("_", " ").title()
    return key


def default_mapping() -> tuple[MappingRow, ...]:
    return (
        MappingRow(BOOKS_EMAIL_KEY, CAMPAIGNS_EMAIL, locked=True),
        MappingRow("first_name", "First Name"),
        MappingRow("last_name", "Last Name"),
    )


@dataclass(frozen=True)
class RowProblem:
    row: int  # 0-based index into the rows
    message: str


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _row_problem(
    i: int,
    row: MappingRow,
    books: Mapping[str, BooksField],
    campaigns: Mapping[str, CampaignsField],
    first_row_of: int | None,
) -> str | None:
    target = row.campaigns_field.strip()
    key = _norm(target)
    is_email_target = key == _norm(CAMPAIGNS_EMAIL)
    source = books.get(row.books_key)
    if not row.books_key.strip():
        return "Choose a Zoho Books field for this row."
    if source is None:
        return f"The Zoho Books field “{row.books_key}” is not known; choose another Books field."
    if not target:
        return f"Choose the Zoho Campaigns field that “{source.label}” goes into."
    if is_email_target and row.books_key != BOOKS_EMAIL_KEY:
        return f"{CAMPAIGNS_EMAIL} can only be filled from the Books Email field, not from “{source.label}”."
    if is_email_target and (i != 0 or not row.locked):
        return f"The Email → {CAMPAIGNS_EMAIL} row is mandatory and must stay the first, locked row."
    if row.locked and not is_email_target:
        return f"Only the Email → {CAMPAIGNS_EMAIL} row can be locked."
    if first_row_of is not None:
        return (
            f"“{target}” is already mapped on row {first_row_of + 1}; "
            "a Zoho Campaigns field can be mapped only once."
        )
    existing = campaigns.get(key)
    if row.new_field:
        if existing is not None or is_email_target:
            return f"“{target}” already exists in Zoho Campaigns; untick New field."
        if not is_legal_new_field_name(row.campaigns_field):  # untrimmed: it is the name created
            proposal = propose_campaigns_field_name(row.campaigns_field)
            return (f"“{row.campaigns_field}” cannot be created in Zoho Campaigns: {NEW_FIELD_NAME_RULE}; "
                    f"use “{proposal}” instead.")
        return None
    if existing is None:
        if is_email_target:
            return None  # every Campaigns account has it, even if a field list left it out
        return f"“{target}” does not exist in Zoho Campaigns; tick New field to create it."
    if not compatible(source.type, existing.type):
        return (
            f"“{source.label}” ({source.type.value}) cannot go into “{existing.display_name}” "
            f"({existing.type.value}); choose a text field or a field of a matching type."
        )
    return None


def validate_mapping(
    rows: Sequence[MappingRow],
    books_fields: Iterable[BooksField],
    campaigns_fields: Iterable[CampaignsField],
) -> list[RowProblem]:
    """Every refusal, at most one per row, plus one at row 0 when Email → Contact Email is missing."""
    books = {f.key: f for f in books_fields}
    campaigns = {_norm(f.display_name): f for f in campaigns_fields}
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = _norm(row.campaigns_field)
        first_row_of = seen.get(key) if key else None
        if key and key not in seen:
            seen[key] = i
        message = _row_problem(i, row, books, campaigns, first_row_of)
        if message:
            problems.append(RowProblem(i, message))
    if _norm(CAMPAIGNS_EMAIL) not in seen:
        problems.insert(0, RowProblem(0, f"Email → {CAMPAIGNS_EMAIL} is mandatory; it cannot be removed."))
    return problems


# --------------------------------------------------------------------------- applying a mapping


def _lookup(record: Mapping[str, Any], key: str) -> Any:
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    if value is None and key.startswith("cf_"):
        # A detail record holds custom fields in custom_field_hash / custom_fields[], not at the top.
        hashed = record.get("custom_field_hash")
        if isinstance(hashed, Mapping) and hashed.get(key) is not None:
            return hashed.get(key)
        for item in record.get("custom_fields") or ():
            if isinstance(item, Mapping) and item.get("api_name") == key:
                return item.get("value")
    return value


def _number_text(value: float | Decimal) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        value = Decimal(format(value, ".15g"))  # drop binary noise: 0.1 + 0.2 → 0.3
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_text(value: Any) -> str:
    """A Books value as the string Campaigns gets ("" for nothing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (to_text(v).strip() for v in value) if t)
    return str(value)


# What planning reads of a Books record besides the mapped fields (domain.plan: id, name, email).
PLANNING_KEYS = ("contact_id", "contact_name", "first_name", "last_name", "email", "last_modified_time")


def kept_fields(record: Mapping[str, Any], rows: Iterable[MappingRow]) -> dict[str, Any]:
    """The part of a Books record a run stages: what planning reads and each mapped field's value
    (a custom field flattened to its ``cf_`` key). ``apply_mapping`` gives the same contactinfo
    for it as for the whole record, at a quarter of the size on disk."""
    kept = {k: record[k] for k in PLANNING_KEYS if k in record}
    for row in rows:
        top = row.books_key.split(".", 1)[0]
        if top in record:
            kept[top] = record[top]
        elif row.books_key.startswith("cf_"):
            value = _lookup(record, row.books_key)
            if value is not None:
                kept[row.books_key] = value
    return kept


def apply_mapping(
    record: Mapping[str, Any], rows: Iterable[MappingRow], *, update_empty: bool
) -> dict[str, str]:
    """One Books record → Campaigns contactinfo, keyed by display name.

    Empty values are left out (update_empty False: never overwrite with nothing) or sent as ""
    (update_empty True: clear in Campaigns too). The email is not normalised here.
    """
    values: dict[str, str] = {}
    for row in rows:
        target = row.campaigns_field.strip()
        if not target:
            continue
        text = to_text(_lookup(record, row.books_key))
        if text.strip():
            values[target] = text
        elif update_empty:
            values[target] = ""
    return values


def values_hash(values: Mapping[str, str]) -> str:
    """A stable digest of what was sent, to tell Unchanged from Updated next time."""
    payload = json.dumps(sorted(values.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def mapping_fingerprint(rows: Iterable[MappingRow]) -> str:
    """A stable digest of which Books field feeds which Campaigns field (row order ignored).

    Any change of that means the values sent change, so the engine runs a full sync.
    """
    pairs = sorted({(r.books_key, r.campaigns_field.strip()) for r in rows})
    payload = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
