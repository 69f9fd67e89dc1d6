"""Deterministic demo data: a Books organization's customers and a Campaigns account.

Same (customers, seed) → same rows, byte for byte: every value comes from one ``random.Random``
and times are anchored to a fixed instant (``ANCHOR``), not to "now". The mix includes what a
sync must handle: no email, invalid patterns, role addresses, duplicates differing in case or
whitespace, non-ASCII names, inactive customers, sparse custom fields, several contact persons,
and Campaigns contacts that unsubscribed, bounced, complained or are on do-not-mail.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from desktop_app.domain import emails
from desktop_app.sandbox.state import State, create_customer_indexes, drop_customer_indexes

ANCHOR = 1_748_736_000  # 2025-06-01T00:00:00Z: the newest seeded last_modified_time
TWO_YEARS = 2 * 365 * 86_400
CONTACT_ID_BASE = 460_000_000_001_000

FIRST = (
    "Ann Bob Carla Dev Elena Farid Grace Hiro Ines Jonas Kemal Lena Mateo Nora Omar Priya Quinn Rosa "
    "Sven Tara Umar Vera Wei Ximena Yusuf Zoë José Søren Łukasz Chloé François Ngozi Aroha"
).split()
LAST = (
    "Smith Novak García Müller Okafor Tanaka Rossi Dubois Kowalski Jensen Silva Nguyen Patel Cohen "
    "Hansen Brown Núñez Åberg Øster Şahin Kim Wright Ito Haddad Moreau Costa Fischer"
).split()
CJK_NAMES = (("渡辺", "健"), ("王", "芳"), ("김", "민준"))
COMPANIES = (
    "Bowman and Co",
    "Acme Supplies",
    "Zylker Traders",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella Retail",
    "Stark Hardware",
    "Wayne Foods",
    "Tyrell Textiles",
    "Café Olé SARL",
    "Müller & Söhne GmbH",
    "Nordlys AS",
    "Sakura Shōji",
    "Blue Fern Ltd",
)
DOMAINS = (
    "example.com",
    "mail.example.org",
    "zylker.test",
    "acme.example",
    "northwind.example",
    "müller-söhne.example",
)
INVALID = (
    "johngmail.com",
    "jane@aol",
    "ted@zylkercom",
    "two@@example.com",
    "spaces in@example.com",
    "trailing.dot.@example.com",
    "@example.com",
)
ROLE = ("info", "support", "sales", "admin", "billing", "contact", "noreply")
REGIONS = ("North", "South", "East", "West", "HEAD OFFICE")
SEGMENTS = ("Retail", "Wholesale", "Enterprise", "Public sector")
CITIES = (
    ("Chennai", "Tamil Nadu", "India"),
    ("Pune", "Maharashtra", "India"),
    ("Austin", "Texas", "U.S.A"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France"),
    ("Kraków", "Małopolskie", "Poland"),
    ("Osaka", "Osaka", "Japan"),
)

# Campaigns standard fields: (display name, field name, type, mandatory).
STANDARD_FIELDS = (
    ("Contact Email", "contact_email", "Email", True),
    ("First Name", "firstname", "Text", False),
    ("Last Name", "lastname", "Text", False),
    ("Company Name", "companyname", "Text", False),
    ("Phone", "phone", "Phone", False),
    ("Mobile", "mobile", "Phone", False),
    ("Job Title", "jobtitle", "Text", False),
    ("City", "city", "Text", False),
    ("State", "state", "Text", False),
    ("Country", "country", "Text", False),
    ("Zip Code", "zipcode", "Text", False),
    ("Salutation", "salutation", "Text", False),
)
FIELD_ID_BASE = 4_000_000_000_015
LISTS = ("Books customers", "Newsletter", "Event attendees")
# A list with a signup form (double opt-in): a subscribe only sends a confirmation email.
SIGNUP_LIST = "Newsletter (double opt-in)"
TOPICS = ("Product updates", "Offers and promotions", "Events and webinars")
BAD_STATES = ("unsub", "bounce", "spam", "dnm")


@dataclass(frozen=True)
class SeedParams:
    customers: int = 1500
    seed: int = 42


def contact_id(index: int) -> str:
    return str(CONTACT_ID_BASE + index)


def listkey(seed: int, name: str) -> str:
    return "3z" + hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:62]


_dumps = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: seeding 100k rows calls it 300k times


@lru_cache(maxsize=256)
def _ascii(text: str) -> str:
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in out if ch.isalnum())


def _phone(rng: random.Random) -> str:
    return f"+91-{70000 + int(rng.random() * 30000)}-{10000 + int(rng.random() * 90000)}"


def _customer(rng: random.Random, i: int, prior_emails: list[str]) -> tuple:
    if rng.random() < 0.01:
        first, last = CJK_NAMES[int(rng.random() * len(CJK_NAMES))]
    else:
        first, last = FIRST[int(rng.random() * len(FIRST))], LAST[int(rng.random() * len(LAST))]
    business = rng.random() < 0.6
    company = COMPANIES[int(rng.random() * len(COMPANIES))] if business else ""
    domain = DOMAINS[int(rng.random() * len(DOMAINS))]
    local = f"{_ascii(first) or 'user'}.{_ascii(last) or 'x'}{i}"
    roll = rng.random()
    if roll < 0.04:
        email = ""
    elif roll < 0.06:
        email = INVALID[int(rng.random() * len(INVALID))]
    elif roll < 0.08:
        email = f"{ROLE[int(rng.random() * len(ROLE))]}@{domain}"
    elif roll < 0.11 and prior_emails:
        # A duplicate of an earlier customer's address, sometimes differing in case/whitespace.
        base = prior_emails[int(rng.random() * len(prior_emails))]
        email = (base, base.upper(), f" {base} ", base.capitalize() + " ")[rng.randrange(4)]
    else:
        email = f"{local}@{domain}"
        prior_emails.append(email)
    status = "inactive" if rng.random() < 0.08 else "active"
    created = ANCHOR - rng.randrange(30 * 86_400, TWO_YEARS)
    modified = created + rng.randrange(0, ANCHOR - created + 1)
    custom = {}
    if rng.random() < 0.8:
        custom["cf_region"] = REGIONS[int(rng.random() * len(REGIONS))]
    if rng.random() < 0.6:
        custom["cf_segment"] = SEGMENTS[int(rng.random() * len(SEGMENTS))]
    if rng.random() < 0.5:
        since = created - rng.randrange(0, 3 * 365) * 86_400
        custom["cf_customer_since"] = _date(since)
    phone, mobile = _phone(rng), (_phone(rng) if rng.random() < 0.7 else "")
    cid = contact_id(i)
    persons = [_person(cid, 0, "Mr." if rng.random() < 0.5 else "Ms.", first, last, email, phone, mobile)]
    for k in range(1, 1 + rng.choice((0, 0, 1, 2))):
        pf, pl = FIRST[int(rng.random() * len(FIRST))], LAST[int(rng.random() * len(LAST))]
        persons.append(_person(cid, k, "", pf, pl, f"{_ascii(pf)}.{_ascii(pl)}{i}{k}@{domain}", _phone(rng), ""))
    city, state, country = CITIES[int(rng.random() * len(CITIES))]
    billing = {
        "attention": f"{first} {last}",
        "address": f"{rng.randint(1, 999)} Main Road",
        "street2": "",
        "state_code": "",
        "city": city,
        "state": state,
        "zip": str(rng.randint(10000, 99999)),
        "country": country,
        "fax": "",
        "phone": phone,
    }
    name = company or f"{first} {last}"
    website = f"https://www.{domain}" if business and rng.random() < 0.5 else ""
    return (
        cid,
        name,
        company,
        first,
        last,
        email,
        phone,
        mobile,
        status,
        "business" if business else "individual",
        website,
        created,
        modified,
        _dumps(custom),
        _dumps(persons),
        _dumps(billing),
    )


def _person(cid: str, k: int, salutation: str, first: str, last: str, email: str, phone: str, mobile: str) -> dict:
    return {
        "contact_person_id": str(int(cid) * 10 + k),
        "salutation": salutation,
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": phone,
        "mobile": mobile,
        "designation": "",
        "department": "",
        "skype": "",
        "is_primary_contact": k == 0,
        "enable_portal": False,
        "communication_preference": {"is_sms_enabled": False, "is_whatsapp_enabled": False},
    }


def _date(ts: int) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.gmtime(ts))


CUSTOMER_COLUMNS = (
    "contact_id, contact_name, company_name, first_name, last_name, email, phone, mobile, "
    "status, customer_sub_type, website, created_time, last_modified_time, custom_json, "
    "persons_json, billing_json"
)


def seed(state: State, params: SeedParams) -> None:
    """Replace the organization's and the account's data with the seeded set (one transaction)."""
    if params.customers < 0:
        raise ValueError("customers must be >= 0")
    rng = random.Random(params.seed)
    org_id = state.settings()["org_id"]
    prior: list[str] = []
    rows = [_customer(rng, i, prior) for i in range(params.customers)]
    good = set(prior)
    with state.tx() as db:
        for table in (
            "customers",
            "camp_lists",
            "camp_contacts",
            "camp_members",
            "camp_fields",
            "camp_topics",
            "camp_pending",
        ):
            db.execute(f"DELETE FROM {table}")
        drop_customer_indexes(db)
        db.executemany(
            f"INSERT INTO customers (org_id, {CUSTOMER_COLUMNS}) VALUES (?{', ?' * 16})",
            ((org_id, *row) for row in rows),
        )
        create_customer_indexes(db)
        _seed_campaigns(db, rng, params, rows, good)
        state.set_meta(db, "seed_params", {"customers": params.customers, "seed": params.seed})
        state.set_meta(db, "next_index", params.customers)


def _seed_campaigns(db, rng: random.Random, params: SeedParams, rows: list[tuple], good: set[str]) -> None:
    created = (ANCHOR - TWO_YEARS) * 1000
    keys = {name: listkey(params.seed, name) for name in LISTS}
    db.executemany(
        "INSERT INTO camp_lists (listkey, listname, created_date, is_public) VALUES (?,?,?,0)",
        [(keys[n], n, created + k * 86_400_000) for k, n in enumerate(LISTS)],
    )
    db.executemany(
        "INSERT INTO camp_fields (field_id, display_name, field_name, field_type, is_mandatory, is_custom,"
        " field_length) VALUES (?,?,?,?,?,0,100)",
        [(FIELD_ID_BASE + 4 * k, d, f, t, int(m)) for k, (d, f, t, m) in enumerate(STANDARD_FIELDS)],
    )
    db.executemany(
        "INSERT INTO camp_topics (topic_id, topic_name, primary_list) VALUES (?,?,?)",
        [(str(80_696_000_000_044_001 + k), t, str(80_696_000_000_044_101 + k)) for k, t in enumerate(TOPICS)],
    )
    # Campaigns contacts: Books customers with usable addresses (so the sync meets them) + outsiders.
    usable = [r for r in rows if r[5] in good]  # seeded as well-formed person addresses
    picked = rng.sample(usable, min(len(usable), max(40, len(rows) // 6)))
    contacts: dict[str, tuple] = {}
    members: list[tuple] = []
    t0 = ANCHOR - 300 * 86_400
    for n, r in enumerate(picked):
        key = emails.identity(r[5])
        if key in contacts:
            continue
        status = BAD_STATES[n % 4] if n < 40 else "active"
        fields = {"First Name": r[3], "Last Name": r[4], "Company Name": r[2]}
        contacts[key] = (
            key,
            emails.clean(r[5]),
            zuid(key),
            json.dumps(fields, ensure_ascii=False),
            status,
            "Marketing",
            "Consent",
            "",
            "seed",
            t0 + n * 600,
        )
        if n % 5 != 4:  # a fifth of them are in no list: account-level states still apply
            members.append((keys["Newsletter"], key, t0 + n * 600, len(members)))
        if n % 3 == 0:
            members.append((keys["Event attendees"], key, t0 + n * 900, len(members)))
    for k in range(30):
        email = f"reader{k}@outside.example"
        contacts[email] = (
            email,
            email,
            zuid(email),
            "{}",
            "bounce" if k % 10 == 0 else "active",
            "Marketing" if k % 4 else "Non-marketing",
            "",
            "",
            "seed",
            t0 + k * 60,
        )
        members.append((keys["Newsletter"], email, t0 + k * 60, len(members)))
    db.executemany(
        "INSERT INTO camp_contacts (email_key, email, zuid, fields_json, status, subscription_type,"
        " lawful_basis, topics, source, added_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
        contacts.values(),
    )
    db.executemany("INSERT INTO camp_members (listkey, email_key, added_time, seq) VALUES (?,?,?,?)", members)
    _add_signup_list(db, params.seed)


def _add_signup_list(db, seed_: int) -> None:
    created = (ANCHOR - TWO_YEARS) * 1000 + len(LISTS) * 86_400_000
    db.execute(
        "INSERT OR IGNORE INTO camp_lists (listkey, listname, created_date, is_public, signup_form)"
        " VALUES (?,?,?,1,1)",
        (listkey(seed_, SIGNUP_LIST), SIGNUP_LIST, created),
    )


def ensure_signup_list(state: State) -> None:
    """A state file seeded before signup-form lists existed gets its double opt-in list (no reseed)."""
    params = state.meta("seed_params")
    if not params:
        return
    with state.tx() as db:
        if not db.execute("SELECT 1 FROM camp_lists WHERE signup_form=1").fetchone():
            _add_signup_list(db, int(params.get("seed", 42)))


def zuid(key: str) -> str:
    return str(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) % 10**11)
