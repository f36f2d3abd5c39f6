"""Salesforce's default State and Country/Territory picklists (codes as a 2023 org ships them).

Countries: ISO alpha-2, minus the codes Salesforce lists as states of another country
(US territories, HK) or not at all, plus XK. States: US, CA, AU, BR, IE, IN, IT, JP, MX
from ISO 3166-2; China with Salesforce's GB/T 2260 numeric codes (HK 91, MO 92, TW 71).
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

ABSENT = {"AS", "CU", "FM", "GU", "HK", "IR", "KP", "MH", "MP", "PR", "PW", "SD", "SY", "UM", "VI"}
LABELS = {"VN": "Vietnam", "TW": "Taiwan", "BO": "Bolivia", "VE": "Venezuela", "TZ": "Tanzania",
          "MD": "Moldova", "LA": "Lao People's Democratic Republic", "XK": "Kosovo", "CD": "Congo, the Democratic Republic of the",
          "FK": "Falkland Islands (Malvinas)", "VA": "Holy See (Vatican City State)", "PS": "Palestine",
          "BN": "Brunei Darussalam", "CZ": "Czechia", "MK": "North Macedonia", "TR": "Türkiye"}
STATE_COUNTRIES = ("US", "CA", "AU", "BR", "IE", "IN", "IT", "JP", "MX")
US_EXTRA = {"AS": "American Samoa", "FM": "Federated States of Micronesia", "GU": "Guam", "MH": "Marshall Islands",
            "MP": "Northern Mariana Islands", "PR": "Puerto Rico", "PW": "Palau", "UM": "United States Minor Outlying Islands",
            "VI": "Virgin Islands, U.S.", "AA": "Armed Forces Americas", "AE": "Armed Forces Europe",
            "AP": "Armed Forces Pacific"}
CHINA = {"11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Nei Mongol", "21": "Liaoning",
         "22": "Jilin", "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui",
         "35": "Fujian", "36": "Jiangxi", "37": "Shandong", "41": "Henan", "42": "Hubei", "43": "Hunan",
         "44": "Guangdong", "45": "Guangxi", "46": "Hainan", "50": "Chongqing", "51": "Sichuan", "52": "Guizhou",
         "53": "Yunnan", "54": "Xizang", "61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia",
         "65": "Xinjiang", "71": "Taiwan", "91": "Hong Kong", "92": "Macao"}


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """CountryCode → label."""
    out = {c.alpha_2: LABELS.get(c.alpha_2, c.name) for c in pycountry.countries if c.alpha_2 not in ABSENT}
    out["XK"] = "Kosovo"
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


@lru_cache(maxsize=1)
def states() -> dict[str, dict[str, str]]:
    """CountryCode → {StateCode → label}."""
    out: dict[str, dict[str, str]] = {}
    for cc in STATE_COUNTRIES:
        subs = pycountry.subdivisions.get(country_code=cc) or []
        if cc == "IT":
            top = [s for s in subs if s.type == "Province" or s.type.startswith(("Metropolitan", "Free"))]
        elif cc == "IE":
            top = [s for s in subs if s.parent_code is not None]  # the 26 counties, not the 4 provinces
        else:
            top = [s for s in subs if s.parent_code is None]
        out[cc] = {s.code.split("-", 1)[1]: s.name for s in (top or subs)}
    out["US"].update(US_EXTRA)
    out["CN"] = dict(CHINA)
    return out


def country_code_for(value: str) -> str | None:
    """The code of a Country text value that exactly equals a label (or a code), as Salesforce accepts."""
    if value in countries():
        return value
    for code, label in countries().items():
        if label == value:
            return code
    return None


def state_code_for(country: str, value: str) -> str | None:
    table = states().get(country, {})
    if value in table:
        return value
    return next((code for code, label in table.items() if label == value), None)
