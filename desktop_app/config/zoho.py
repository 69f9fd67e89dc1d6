"""The Zoho data centers and the base-URL overrides of SPEC R6."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from desktop_app.config.paths import ENV_ACCOUNTS_URL, ENV_BOOKS_URL, ENV_CAMPAIGNS_URL
from desktop_app.domain.wire import BOOKS_PATH, CAMPAIGNS_PATH, Endpoints


@dataclass(frozen=True)
class DataCenter:
    code: str
    name: str
    accounts_url: str
    api_domain: str  # Books lives at {api_domain}/books/v3
    campaigns_url: str  # host only; the API is under /api/v1.1

    @property
    def books_base(self) -> str:
        return self.api_domain + BOOKS_PATH

    @property
    def campaigns_base(self) -> str:
        return self.campaigns_url + CAMPAIGNS_PATH


# reference/zoho-api-facts.md §1.1 and §3.1. UK's API domain and the CA/SA/UK Campaigns hosts are
# [INF] there: if one is wrong, this table is the only place to change (or override per R6).
DATA_CENTERS: dict[str, DataCenter] = {
    dc.code: dc
    for dc in (
        DataCenter("US", "United States", "https://accounts.zoho.com", "https://www.zohoapis.com",
                   "https://campaigns.zoho.com"),
        DataCenter("EU", "Europe", "https://accounts.zoho.eu", "https://www.zohoapis.eu",
                   "https://campaigns.zoho.eu"),
        DataCenter("IN", "India", "https://accounts.zoho.in", "https://www.zohoapis.in",
                   "https://campaigns.zoho.in"),
        DataCenter("AU", "Australia", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au",
                   "https://campaigns.zoho.com.au"),
        DataCenter("JP", "Japan", "https://accounts.zoho.jp", "https://www.zohoapis.jp",
                   "https://campaigns.zoho.jp"),
        DataCenter("CA", "Canada", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca",
                   "https://campaigns.zohocloud.ca"),
        DataCenter("SA", "Saudi Arabia", "https://accounts.zoho.sa", "https://www.zohoapis.sa",
                   "https://campaigns.zoho.sa"),
        DataCenter("UK", "United Kingdom", "https://accounts.zoho.uk", "https://www.zohoapis.uk",
                   "https://campaigns.zoho.uk"),
        DataCenter("CN", "China", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn",
                   "https://campaigns.zoho.com.cn"),
    )
}


def data_center(code: str) -> DataCenter:
    try:
        return DATA_CENTERS[code.upper()]
    except KeyError:
        raise ValueError(
            f"Unknown data center {code!r}; choose one of {', '.join(DATA_CENTERS)}"
        ) from None


def data_center_for_accounts_server(url: str) -> DataCenter | None:
    """The DC whose accounts server is ``url`` (the OAuth callback's ``accounts-server``)."""
    url = url.rstrip("/").lower()
    for dc in DATA_CENTERS.values():
        if dc.accounts_url == url:
            return dc
    return None


_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


def resolve_endpoints(dc_code: str, env: Mapping[str, str] | None = None,
                      settings: Mapping[str, object] | None = None) -> Endpoints:
    """Endpoints of a data center, with overrides: environment first, then the settings file."""
    env = os.environ if env is None else env
    settings = settings or {}
    dc = data_center(dc_code)
    chosen = {"accounts": dc.accounts_url, "books": dc.books_base, "campaigns": dc.campaigns_base}
    for key, var in (("accounts", ENV_ACCOUNTS_URL), ("books", ENV_BOOKS_URL),
                     ("campaigns", ENV_CAMPAIGNS_URL)):
        value = env.get(var) or settings.get(f"{key}_url")
        if value:
            value = str(value).rstrip("/")
            if not _URL.match(value):
                raise ValueError(f"{var} must be an http(s) URL, got {value!r}")
            chosen[key] = value
    return Endpoints(**chosen)
