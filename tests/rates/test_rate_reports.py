"""Rates from SQL counts: per instrument, subgroup, wave and event; representativeness; the
methodology table; the demo's CRISP figure; and rates within [0, 1] for any data."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rates_support import add_activity, add_contacts, add_responses, make_instrument
from sqlalchemy import insert
from sqlalchemy.orm import Session

from feedback.db import Case
from feedback.db.rate_queries import counts_by_attribute, counts_by_instrument, counts_by_wave
from feedback.db.sampling import Invitation, InvitationWave
from feedback.domain.rates import RATE_NAMES
from feedback.services.rates import instrument_rates, methodology_table, rates_by_event, representativeness


def crisp_like(session: Session) -> tuple[object, list[int]]:
    """710 cases, 189 responses (160 complete, 29 partial above threshold), 12 bounced, 3 opted out."""
    survey = make_instrument(session, "crisp-web-survey")
    cases = add_contacts(session, survey, 710, lambda i: {"region": "North" if i < 400 else "South"})
    add_responses(session, survey, [{"case_id": c} for c in cases[:160]])
    add_responses(
        session,
        survey,
        [{"case_id": c, "status": "partial", "answered": 6, "applicable": 10} for c in cases[160:189]],
    )
    for c in cases[189:201]:
        session.get(Case, c).bounced = True
    for c in cases[201:204]:
        session.get(Case, c).opted_out = True
    session.flush()
    return survey, cases


def test_crisp_rr2_is_189_of_710(session: Session) -> None:
    survey, _ = crisp_like(session)
    (result,) = instrument_rates(session, [survey])
    assert result.counts.as_dict() == {
        "I": 160,
        "P": 29,
        "R": 3,
        "NC": 0,
        "O": 0,
        "UH": 506,
        "UO": 12,
        "NE": 0,
    }
    assert result.report.exact["RR2"] == Fraction(189, 710)
    assert result.rate_text("RR2") == "26.6% (189/710)"
    assert result.report.e == 1.0 and result.report.e_source == "default"


def test_the_instruments_own_e_is_used_and_stated(session: Session) -> None:
    survey = make_instrument(session, "s", eligibility_e=0.25)
    cases = add_contacts(session, survey, 4)
    add_responses(session, survey, [{"case_id": cases[0]}])
    (result,) = instrument_rates(session, [survey])
    assert (result.report.e, result.report.e_source) == (0.25, "set")
    assert result.report.exact["RR3"] == Fraction(1, 1 + Fraction(1, 4) * 3)
    assert result.report.formatted("RR3").endswith("(e = 0.250)")


def test_rates_by_region_add_up_to_the_whole(session: Session) -> None:
    survey, _ = crisp_like(session)
    by_region = counts_by_attribute(session, survey.id, "region")
    assert set(by_region) == {"North", "South"}
    assert by_region["North"]["I"] + by_region["South"]["I"] == 160
    assert sum(by_region["North"].values()) == 400
    assert counts_by_attribute(session, survey.id, "nonexistent") == {
        "(missing)": counts_by_instrument(session)[survey.id]
    }


def test_representativeness_shows_the_gap_in_percentage_points(session: Session) -> None:
    survey = make_instrument(session, "s")
    cases = add_contacts(session, survey, 10, lambda i: {"size": "small" if i < 5 else "large"})
    # Of 5 small organisations 1 responds, of 5 large ones 3 do.
    add_responses(session, survey, [{"case_id": c} for c in (cases[0], cases[5], cases[6], cases[7])])
    rows = {r.value: r for r in representativeness(session, survey)["size"]}
    assert (rows["small"].sample_pct, rows["small"].respondent_pct) == (50.0, 25.0)
    assert rows["small"].difference_pp == -25.0
    assert rows["large"].as_text() == ("50.0% (5/10)", "75.0% (3/4)", "+25.0 pp")


def test_cumulative_counts_after_each_wave(session: Session) -> None:
    survey = make_instrument(session, "s")
    cases = add_contacts(session, survey, 4)
    first = InvitationWave(instrument_id=survey.id, number=1, kind="invitation", sent_on=date(2024, 1, 1))
    second = InvitationWave(instrument_id=survey.id, number=2, kind="reminder", sent_on=date(2024, 1, 8))
    session.add_all([first, second])
    session.flush()
    session.execute(insert(Invitation), [{"wave_id": first.id, "case_id": c} for c in cases])
    session.execute(insert(Invitation), [{"wave_id": second.id, "case_id": c} for c in cases[1:]])
    add_responses(
        session,
        survey,
        [{"case_id": cases[0], "started_at": datetime(2024, 1, 2), "submitted_at": datetime(2024, 1, 2)}],
    )
    add_responses(
        session,
        survey,
        [{"case_id": cases[1], "started_at": datetime(2024, 1, 9), "submitted_at": datetime(2024, 1, 9)}],
    )
    after = counts_by_wave(session, survey.id)
    assert [(w.number, w.counts["I"], w.counts["UH"]) for w in after] == [(1, 1, 3), (2, 2, 2)]


def test_event_rates_come_from_head_counts(session: Session) -> None:
    form = make_instrument(session, "pirr-forms", kind="event_feedback", project="pirr")
    launch = add_activity(session, form.project_id, "Launch", attending=150)
    add_responses(session, form, [{"activity_id": launch.id}] * 31)
    ((event, report),) = rates_by_event(session, form)
    assert event.base == 150 and report is not None
    assert report.formatted("RR2") == "20.7% (31/150)"


def test_methodology_table_explains_every_missing_rate(session: Session) -> None:
    survey, _ = crisp_like(session)
    make_instrument(session, "crisp-document-review", kind="document_review")
    make_instrument(session, "crisp-no-list", kind="interview_schedule")
    form = make_instrument(session, "crisp-event-forms", kind="event_feedback")
    known = add_activity(session, form.project_id, "Conference", attending=40)
    unknown = add_activity(session, form.project_id, "Network meeting")
    add_responses(
        session, form, [{"activity_id": known.id}] * 10 + [{"activity_id": unknown.id, "mode": "paper"}] * 4
    )
    rows = {r.instrument: r for r in methodology_table(session, "crisp")}
    assert rows["crisp-web-survey"].rate == "26.6% (189/710)"
    assert (rows["crisp-web-survey"].cases, rows["crisp-web-survey"].responses) == (710, 189)
    assert rows["crisp-document-review"].rate == "no respondents"
    assert rows["crisp-no-list"].rate == "undefined" and "no sample recorded" in rows["crisp-no-list"].note
    events = rows["crisp-event-forms"]
    assert events.rate == "25.0% (10/40)"
    assert "4 form(s) from 1 event(s) left out" in events.note and "Network meeting" in events.note
    assert events.modes == "paper, web"


def test_event_form_without_any_denominator_has_undefined_rates(session: Session) -> None:
    form = make_instrument(session, "forms", kind="event_feedback")
    event = add_activity(session, form.project_id, "Away day")
    add_responses(session, form, [{"activity_id": event.id}] * 3)
    (result,) = instrument_rates(session, [form])
    assert result.report is None
    assert result.as_json()["rates"] == dict.fromkeys(RATE_NAMES)
    assert "Away day" in result.note


CASE = st.tuples(
    st.sampled_from(["none", "partial", "complete"]),
    st.integers(0, 5),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, None, None, "NE", "NC", "O"]),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CASE, max_size=12), st.one_of(st.none(), st.floats(0, 1)))
def test_rates_from_sql_are_fractions_or_undefined(
    session: Session, cases: list[tuple], e: float | None
) -> None:
    survey = make_instrument(session, f"h{datetime.now().timestamp()}".replace(".", ""), eligibility_e=e)
    ids = add_contacts(session, survey, len(cases)) if cases else []
    for cid, (status, answered, opted, bounced, staff) in zip(ids, cases, strict=True):
        if status != "none":
            add_responses(
                session, survey, [{"case_id": cid, "status": status, "answered": answered, "applicable": 5}]
            )
        case = session.get(Case, cid)
        case.opted_out, case.bounced, case.disposition = opted, bounced, staff
    session.flush()
    (result,) = instrument_rates(session, [survey])
    assert result.counts.total == len(cases)
    rates = result.as_json()["rates"]
    assert set(rates) == set(RATE_NAMES)
    for value in rates.values():
        assert value is None or 0 <= value <= 1
    for low, high in (("RR1", "RR2"), ("RR3", "RR4"), ("RR5", "RR6")):
        if rates[low] is not None and rates[high] is not None:
            assert rates[low] <= rates[high] + 1e-12


def test_demo_crisp_rr2(db, loaded_forms) -> None:  # type: ignore[no-untyped-def]
    demo = pytest.importorskip(
        "feedback.services.demo", reason="the demo programme (feedback/services/demo.py) is not there yet"
    )
    with db.write() as session:
        demo.load_demo(session)
    with db.read() as session:
        from feedback.services.rates import project_instruments

        _, instruments = project_instruments(session, "crisp")
        results = {r.slug: r for r in instrument_rates(session, instruments)}
    crisp = results["crisp-web-survey"]
    assert crisp.report.exact["RR2"] == Fraction(189, 710)
    assert crisp.rate_text("RR2") == "26.6% (189/710)"


def test_project_events_sum_forms_over_attendance(session: Session) -> None:
    from feedback.services.rates import project_events

    form = make_instrument(session, "pirr-forms", kind="event_feedback", project="pirr")
    launch = add_activity(session, form.project_id, "Launch", attending=150)
    launch.attending_note = "the report says 'over 150'"
    seminar = add_activity(session, form.project_id, "Seminar", attending=50)
    lost = add_activity(session, form.project_id, "Lost count")
    add_responses(session, form, [{"activity_id": launch.id}] * 31 + [{"activity_id": seminar.id}] * 19)
    add_responses(session, form, [{"activity_id": lost.id}] * 7)
    summary = project_events(session, "pirr")
    assert [(e.title, r is None) for _slug, e, r in summary.events] == [
        ("Launch", False), ("Seminar", False), ("Lost count", True),
    ]  # fmt: skip
    assert summary.total.formatted("RR2") == "25.0% (50/200)"
    assert summary.note.startswith("left out (no denominator): Lost count")
    (result,) = instrument_rates(session, [form])
    assert "head counts: Launch: 150 (the report says 'over 150')" in result.note


def test_not_eligible_cases_are_explained(session: Session) -> None:
    survey = make_instrument(session, "s")
    cases = add_contacts(session, survey, 3)
    session.get(Case, cases[0]).disposition = "NE"
    add_responses(session, survey, [{"case_id": cases[1]}])
    session.flush()
    (result,) = instrument_rates(session, [survey])
    assert result.rate_text() == "50.0% (1/2)"
    assert result.note == "1 not eligible (NE), left out of every denominator"
