"""A case the investigators closed before any trial: read from the report, and never grouped with
a case that reached a court (nlp/cases.py)."""

from __future__ import annotations

from nlp import extract
from nlp.cases import GroupSummary, compare, group, thresholds


def closed(text: str, lang: str) -> bool:
    return bool(extract(text, lang=lang, published="2022-04-01")["closed_before_trial"])


def test_a_case_dropped_by_the_police_is_closed_before_trial():
    assert closed("Полиция Шымкента прекратила уголовное дело в отношении блогера Асета Жумабаева. "
                  "Следователь не нашёл в его публикациях состава преступления.", "ru")
    assert closed("Активиста Нурлана Серикова задержали в марте по статье 174 УК РК о разжигании розни после "
                  "его выступления на митинге. Расследование в отношении Серикова прекращено за отсутствием "
                  "состава преступления, сообщил его адвокат.", "ru")
    assert closed("Prosecutors in Taraz have dropped the charges against the blogger Aset Zhumabayev, "
                  "who was detained in March and charged under Article 174 of the Criminal Code with inciting ethnic discord "
                  "over his posts.", "en")


def test_a_case_a_court_ends_or_that_goes_on_is_not():
    # A court that ends a case at trial ends a case that reached a court.
    assert not closed("Суд Шымкента прекратил уголовное дело в отношении блогера Асета Жумабаева в связи "
                      "с примирением сторон. Процесс длился два месяца.", "ru")
    assert not closed("Police in Taraz detained the blogger Aset Zhumabayev on suspicion of inciting "
                      "discord; the investigation continues.", "en")


CLOSED = {"id": "c", "places": ["kz-taraz"], "regions": ["kz-zhambyl-region"], "names": ["jmbv"],
          "stage": "detention", "closed_before_trial": 1}
VERDICT = {"id": "v", "places": ["kz-taraz"], "regions": ["kz-zhambyl-region"], "names": ["jmbv"],
           "stage": "verdict"}
DETAINED = {"id": "d", "places": ["kz-taraz"], "regions": ["kz-zhambyl-region"], "names": ["jmbv"],
            "stage": "detention"}


def test_a_closed_case_and_a_case_that_reached_a_court_are_two_cases():
    comparison = compare(CLOSED, VERDICT)
    assert comparison.score is None and comparison.contradiction == ("stage", "closed before trial vs verdict")
    assert GroupSummary(CLOSED).decide(GroupSummary(VERDICT), thresholds()) is True
    # A detention report and its case's closing are one case.
    assert compare(CLOSED, DETAINED).score is not None


def test_a_detention_report_joins_the_case_that_went_to_court_before_the_closed_one():
    # The detention report links both; were its link to the closed case taken first, the
    # verdict could join neither.
    detained = {**DETAINED, "event_dates": ["2021-03-02"]}
    closed_case = {**CLOSED, "event_dates": ["2021-03-02"]}
    assert compare(detained, closed_case).score > compare(detained, VERDICT).score
    assert sorted(map(sorted, group([closed_case, VERDICT, detained]))) == [["c"], ["d", "v"]]
