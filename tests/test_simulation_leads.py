"""Where the simulated leads come from (issue 14, points 2-4): campaigns that could have
produced them, believable repeat enquirers, and territory demand that matches the quotas
and headcount."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta

import pytest
from simulated_history import History

from domain.kernel.messages import utc
from simulators.market import territory_demand
from simulators.org import AES, SDRS, headcount
from simulators.trade_shows import FOLLOW_UP_DAYS, SHOWS, upcoming_shows

START = utc(2025, 7, 10)  # India Industrial Fair Chennai (24-27 Jul) is booked in the window
DAYS = 36  # the show, its two weeks of follow-ups, the next show booked


@pytest.fixture(scope="module")
def history() -> History:
    return History(DAYS, 0.2, seed=3, start=START)


def test_trade_show_leads_arrive_during_the_show_and_its_follow_up_days(
        history: History) -> None:
    campaigns = {e.aggregate_id: e for e in history.of("CampaignPlanned")}
    booth = [e for e in history.of("LeadCaptured") if e.lead_source == "trade_show"]
    assert len(booth) > 20
    days = Counter()
    for lead in booth:
        show = campaigns[lead.source_campaign_id]
        assert show.campaign_type == "trade_show"
        day = (lead.occurred_at + timedelta(hours=5.5)).date()
        assert show.start_date <= day <= show.end_date + timedelta(days=FOLLOW_UP_DAYS)
        days["show" if day <= show.end_date else "after"] += 1
    assert days["show"] > days["after"] > 0


def test_attributed_leads_are_in_their_campaigns_audience(history: History) -> None:
    campaigns = {e.aggregate_id: e for e in history.of("CampaignPlanned")}
    regions = {name: states for name, *_, states in SHOWS}
    attributed = [e for e in history.of("LeadCaptured") if e.source_campaign_id]
    assert len(attributed) > 25
    for lead in attributed:
        campaign = campaigns[lead.source_campaign_id]
        assert campaign.target_industry in (None, lead.industry)
        assert campaign.target_company_size in (None, lead.company_size)
        day = (lead.occurred_at + timedelta(hours=5.5)).date()
        assert day >= campaign.start_date
        if campaign.campaign_type == "trade_show":
            assert lead.state in regions[campaign.campaign_name.rsplit(" ", 1)[0]]
        else:
            assert day <= campaign.end_date


def test_each_show_edition_is_booked_once_on_its_calendar_dates(history: History) -> None:
    shows = [e for e in history.of("CampaignPlanned") if e.campaign_type == "trade_show"]
    names = Counter(e.campaign_name for e in shows)
    assert names == {"India Industrial Fair Chennai 2025": 1, "Automation Expo Mumbai 2025": 1,
                     "Auto Components Show Gurugram 2025": 1,
                     "Pharma Machinery Expo Hyderabad 2025": 1}
    spans = sorted((e.start_date, e.end_date) for e in shows)
    assert all(end < start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))
    chennai = next(e for e in shows if e.campaign_name.startswith("India Industrial"))
    assert (chennai.start_date, chennai.end_date) == (date(2025, 7, 24), date(2025, 7, 27))


def test_show_editions_come_up_for_booking_seven_to_sixty_days_ahead() -> None:
    assert [(s[0], d) for s, d in upcoming_shows(date(2025, 6, 1))] == [
        ("India Industrial Fair Chennai", date(2025, 7, 24))]
    assert upcoming_shows(date(2025, 7, 18)) == upcoming_shows(date(2025, 7, 18))
    assert [s[0] for s, _ in upcoming_shows(date(2025, 12, 30))] == [
        "IMTEX Bengaluru", "ELECRAMA Greater Noida"]


def test_customers_send_a_believable_share_and_no_company_floods_the_funnel(
        history: History) -> None:
    leads = [e for e in history.of("LeadCaptured") if e.occurred_at > START + timedelta(days=1)]
    accounts = {" ".join(e.account_name.split()).casefold(): e
                for e in history.of("AccountCreated")}
    customers = [lead for lead in leads
                 if (a := accounts.get(" ".join(lead.company_name.split()).casefold()))
                 and a.account_type == "customer" and a.occurred_at < lead.occurred_at]
    assert 0.10 <= len(customers) / len(leads) <= 0.25
    per_company = Counter(lead.company_name for lead in leads)
    assert max(per_company.values()) <= 8
    repeats = sum(n - 1 for n in per_company.values())
    assert 0.1 <= repeats / len(leads) <= 0.4
    emails = Counter(lead.email for lead in leads if lead.email)
    assert sum(n - 1 for n in emails.values()) / len(leads) >= 0.02  # re-enquiries exist


def test_headcount_follows_demand() -> None:
    demand = territory_demand()
    aes, sdrs = headcount(demand)
    assert sum(aes.values()) == AES and sum(sdrs.values()) == SDRS
    assert min(aes.values()) == 1 and len(aes) == 20
    assert aes["IN-ENERGY"] == 3 and aes["S-KL"] == 1
    per_head = [demand[c] / (aes[c] + sdrs[c]) for c in demand]
    assert max(per_head) / statistics.median(per_head) < 1.6
    assert abs(sum(demand.values()) - 1) < 1e-9


def test_territory_quotas_follow_demand_and_leads_follow_quotas(history: History) -> None:
    demand = territory_demand()
    territories = {e.aggregate_id: e for e in history.of("TerritoryDefined")}
    total = sum(float(t.territory_quota) for t in territories.values())
    share = {t.territory_code: float(t.territory_quota) / total for t in territories.values()}
    for code, quota in share.items():
        assert abs(quota - demand[code]) < 0.006, code
    first = {}
    for e in history.of("LeadAssigned"):
        first.setdefault(e.aggregate_id, e)
    leads = Counter(territories[e.territory_id].territory_code for e in first.values()
                    if e.territory_id)
    n = sum(leads.values())
    for code, quota in share.items():
        if quota > 0.05:
            assert 0.6 < leads[code] / n / quota < 1.6, code


def test_no_rep_carries_several_times_the_median_lead_load(history: History) -> None:
    reps = {e.aggregate_id: e.sales_role for e in history.of("SalesRepHired")}
    first = {}
    for e in history.of("LeadAssigned"):
        first.setdefault(e.aggregate_id, e.assigned_to)
    load = Counter(first.values())
    counts = [load[r] for r, role in reps.items() if role in ("AE", "SDR")]
    assert max(counts) / statistics.median(counts) < 3


def test_true_duplicates_are_rare_and_no_person_becomes_two_contacts(history: History) -> None:
    leads = history.of("LeadCaptured")
    rules = Counter(e.match_rule for e in history.of("LeadMatched"))
    assert 0 < rules["open_lead"] / len(leads) < 0.05  # LeanData: under 4 % true duplicates
    assert rules["contact"] > 0 and rules["account"] > 0
    closed = [e for e in history.of("LeadDisqualified") if e.reason.startswith("Duplicate of")]
    assert len(closed) == rules["open_lead"]
    emails = Counter((e.account_id, e.email.casefold()) for e in history.of("ContactCreated")
                     if e.email)
    assert max(emails.values()) == 1
