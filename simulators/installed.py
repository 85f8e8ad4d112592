"""The installed base on day one: existing customers with contacts, teams and contracts.

The business did not start yesterday: a few hundred plants already buy from it (their
master-data customer ids are known, and so are the day they became customers and what
they bought before the CRM: customer_since and the opening lifetime value), some belong
to business groups (parent accounts), each has two to four contacts and an account team,
and most run a maintenance, service, subscription or rate contract that was signed
before the simulation starts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.accounts.messages import AddAccountTeamMember, OpenAccount, SetParentAccount
from domain.contacts.messages import CreateContact
from domain.contracts.lifecycle import add_months
from domain.contracts.messages import DraftContract, SendContractForSignature, SignContract
from domain.leads.matching import normalise_email
from simulators.catalog import CONTACT_ROLES, DEPARTMENTS, INDUSTRY_FAMILIES, LEAD_TITLES
from simulators.contracts import contract_terms
from simulators.kernel import MIGRATION
from simulators.org import territory_code
from simulators.tiers import RANK, tier_by_revenue
from simulators.worktime import local_day
from simulators.world import Company, deal_value, email, phone, pick

if TYPE_CHECKING:
    from simulators.accounts import AccountDesk

PERSON_TRIES = 5  # draws of a person not yet a contact of the account
AUTHORITY = {"decision_maker": "final_decision", "influencer": "recommends",
             "champion": "recommends", "gatekeeper": "approves", "user": "uses"}


def account_profile(desk: AccountDesk, company: Company) -> dict[str, object]:
    """Profile fields of a real-looking account for `company` (owner and AM included)."""
    rng, book = desk.k.rng, desk.book
    code = territory_code(company)
    owner = book.any_of(rng, "AE", book.territories.get(code or ""))
    manager = book.manager_of(owner)
    ams = [r for r in book.role("AM") if book.reps[r].manager == manager] or book.role("AM")
    street, postcode = desk.world.address(rng)
    revenue = company.employees * rng.randrange(2_000_000, 6_000_000)
    return dict(
        industry=company.industry, company_size=company.size, employee_count=company.employees,
        annual_revenue=Decimal(revenue), billing_address_line1=street,
        billing_city=company.city, billing_state=company.state, billing_postal_code=postcode,
        shipping_address_line1=street, shipping_city=company.city,
        shipping_state=company.state, shipping_postal_code=postcode, phone=phone(rng),
        website=f"https://www.{company.domain}", account_owner=owner,
        account_manager=rng.choice(ams) if ams else None,
        credit_limit=Decimal(min(50_000_000, company.employees * rng.randrange(5, 20) * 1000)),
        payment_terms=pick(rng, (("NET30", 60), ("NET60", 35), ("COD", 5))),
        preferred_contact_method=pick(rng, (("email", 50), ("phone", 35), ("in_person", 15))),
        communication_frequency=pick(rng, (("weekly", 20), ("monthly", 55), ("quarterly", 25))))


def known_emails(desk: AccountDesk, account_id: str) -> list[str]:
    """The normalised e-mail addresses of the account's contacts the business knows."""
    account = desk.book.accounts.get(account_id)
    contacts = desk.book.contacts
    return [address for c in (account.contacts if account else ())
            if c in contacts and (address := normalise_email(contacts[c].email))]


def add_contacts(desk: AccountDesk, account_id: str, company: Company, count: int,
                 creator: str) -> None:
    """Up to `count` new people at the account; at an account without contacts the first
    is its primary contact and decision maker (someone who joins later keeps to their
    role and leaves the primary contact as it is).

    Nobody is entered twice: a drawn person whose e-mail is already one of the account's
    contacts (the matching rule of `domain.leads.matching`: same e-mail, trimmed and
    case-insensitive) is the same person, so another is drawn (a few tries, then fewer
    contacts), as a rep checks the account's contact list before adding someone.
    """
    rng, k = desk.k.rng, desk.k
    taken = known_emails(desk, account_id)
    account = desk.book.accounts.get(account_id)
    fresh = account is None or not account.contacts
    for n in range(count):
        for _ in range(PERSON_TRIES):
            first, last = desk.world.person(rng)
            address = email(first, last, company.domain)
            if normalise_email(address) not in taken:
                break
        else:
            continue
        taken.append(normalise_email(address) or "")
        first_one = fresh and n == 0
        role = "decision_maker" if first_one else pick(rng, CONTACT_ROLES)
        k.send(CreateContact, k.new_id("CON"), account_id=account_id, first_name=first,
               last_name=last, salutation=pick(rng, (("Mr.", 62), ("Ms.", 30), ("Dr.", 8))),
               job_title=rng.choice(LEAD_TITLES), department=rng.choice(DEPARTMENTS),
               email=address, phone=phone(rng), mobile=phone(rng),
               mailing_city=company.city, mailing_state=company.state, mailing_country="India",
               contact_role=role, decision_authority=AUTHORITY[role], is_primary=first_one,
               relationship_strength=pick(rng, (("strong", 30), ("moderate", 50),
                                                ("weak", 20))),
               preferred_contact_method=pick(rng, (("email", 55), ("phone", 35),
                                                   ("linkedin", 10))),
               created_by=creator)


def past_trade(rng: random.Random, size: str, today: date) -> tuple[date, Decimal, date]:
    """(customer since, revenue before the CRM, last order) of an existing customer.

    Customers of 1-12 years, buying about one to three typical deals' worth a year (so
    lifetime value grows with tenure and size); the last order is recent for most
    (exponential, mean 150 days), never more than 360 days back (a longer draw is spread
    over 2-12 months): a customer silent for a year would have been marked inactive in the
    previous system already.
    """
    years = rng.uniform(1.0, 12.0)
    since = today - timedelta(days=int(years * 365.25))
    yearly = float(deal_value(rng, size)) * rng.uniform(1.0, 3.0)
    value = Decimal(int(yearly * years) // 1000 * 1000)
    back = 1 + int(rng.expovariate(1 / 150))
    last = today - timedelta(days=back if back <= 360 else rng.randrange(60, 360))
    return since, value, max(last, since)


def open_installed_base(desk: AccountDesk) -> None:
    """Accounts, groups, contacts, teams and signed contracts of the existing customers."""
    k, world, book, rng = desk.k, desk.world, desk.book, desk.k.rng
    today = local_day(k.now)
    companies = world.installed[:int(200 + 150 * min(k.scale, 2.0))]
    members: dict[int, list[str]] = {}
    opened: list[tuple[str, Company, dict[str, object], str]] = []
    first_bought: dict[str, date] = {}
    tiers: dict[str, str] = {}
    for n, company in enumerate(companies):
        account_id = k.new_id("ACC")
        profile = account_profile(desk, company)
        families = INDUSTRY_FAMILIES.get(company.industry, ("Spares and annual maintenance",))
        since, value, last_order = past_trade(rng, company.size, today)
        # tiered in the previous CRM by its yearly revenue and size (simulators.tiers)
        years = Decimal(max(365, (today - since).days)) / 365
        tier = tier_by_revenue(value / years, company.size)
        opened.append((account_id, company, profile, tier))
        tiers[account_id] = tier
        desk.last_order[account_id] = last_order
        first_bought[account_id] = since
        k.send(OpenAccount, account_id, account_name=company.name, account_type="customer",
               account_tier=tier, customer_id=f"CUST-{100_000 + n * 13}",
               created_by="data-migration", customer_since=since, lifetime_value=value,
               description=f"Customer since {since.year}; buys "
                           f"{', '.join(families[:2]).lower()}.", **profile)
        if company.group >= 0:
            members.setdefault(company.group, []).append(account_id)
    for group, accounts in members.items():
        if len(accounts) < 2:
            continue
        parent = k.new_id("ACC")
        # a group is managed at its best plant's tier (a group-level key account)
        group_tier = max((tiers[a] for a in accounts), key=RANK.__getitem__)
        k.send(OpenAccount, parent, account_name=world.groups[group], account_type="customer",
               account_tier=group_tier, company_size="enterprise", created_by="data-migration",
               customer_since=min(first_bought[a] for a in accounts),  # (its plants buy)
               account_owner=book.any_of(rng, "Director"), account_manager=book.any_of(rng, "AM"),
               description="Group holding company; plants buy through their own entities.")
        book.group_parent[group] = parent
        for account_id in accounts:
            k.send(SetParentAccount, account_id, actor=MIGRATION, parent_account_id=parent)
    for account_id, company, _, _ in opened:
        add_contacts(desk, account_id, company, rng.randint(2, 4), "data-migration")
    for account_id, _, profile, tier in opened:
        since = today - timedelta(days=rng.randrange(60, 1500))  # (a team joins later on)
        team = [(profile["account_owner"], "account_owner"),
                (profile["account_manager"], "account_manager")]
        if tier != "standard":
            team.append((book.any_of(rng, "SE"), "sales_engineer"))
        if tier == "strategic":
            team.append((book.any_of(rng, "Director"), "executive_sponsor"))
        for rep, role in team:
            if isinstance(rep, str):
                k.send(AddAccountTeamMember, account_id, actor=MIGRATION, sales_rep_id=rep,
                       team_role=role, start_date=since)
    for account_id, company, profile, _ in opened:
        owner = profile["account_manager"] or profile["account_owner"]
        for _ in range(int(rng.random() < 0.7) + int(rng.random() < 0.2)):
            sign_old_contract(desk, account_id, company, owner if isinstance(owner, str)
                              else None)


def sign_old_contract(desk: AccountDesk, account_id: str, company: Company,
                      owner: str | None) -> None:
    """A contract signed before the simulation, ending within the next 18 months."""
    k, rng = desk.k, desk.k.rng
    today = local_day(k.now)
    end = today + timedelta(days=rng.randrange(62, 560) if rng.random() < 0.92
                            else rng.randrange(5, 60))
    terms = contract_terms(rng, company.size, company.name)
    months = terms.pop("contract_term_months")
    start = add_months(end + timedelta(days=1), -months)
    contract_id = k.new_id("CTR")
    k.send(DraftContract, contract_id, account_id=account_id, contract_start_date=start,
           contract_end_date=end, contract_term_months=months,
           contract_owner=owner, created_by="data-migration",
           **terms)
    k.send(SendContractForSignature, contract_id, actor=MIGRATION)
    k.send(SignContract, contract_id, actor=MIGRATION,
           signed_date=min(today, start) - timedelta(days=rng.randrange(3, 30)))
