"""The JSON object `corpus extract` prints (the contract in DESIGN.md)."""

from __future__ import annotations

PUBLIC_KEYS = {
    "places": ("name", "id", "admin1", "country", "lat", "lon", "text"),
    "articles": ("code", "article", "part", "paragraph", "text"),
    "penalties": ("kind", "min_years", "max_years", "regime", "confiscation", "applies_to", "text"),
    "event_dates": ("iso", "precision", "text"),
}


def public_facts(facts: dict) -> dict:
    """Keep the documented keys of each item; offsets and roles stay internal."""
    out = {"lang": facts["lang"], "is_case_report": facts["is_case_report"]}
    for key, fields in PUBLIC_KEYS.items():
        out[key] = [{f: item.get(f) for f in fields} for item in facts[key]]
    out.update({
        "convicted_count": facts["convicted_count"], "orgs": facts["orgs"],
        "platforms": facts["platforms"], "persons": facts["persons"], "stage": facts["stage"],
    })
    return out
