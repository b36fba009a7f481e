"""Grounds for refusal other than income: property that shows no need (Social Code art. 125 p.1)
and the six-month bars after a refusal, a terminated contract or false information (art. 128)."""

from __future__ import annotations

from core.dates import add_months
from core.family import has_disability
from core.household import Household, Member
from core.parameters import InForce
from core.reasons import Reason, reason


def is_large_family(children: int) -> bool:
    """A large family (многодетная семья) raises four or more children (art. 90)."""
    return children >= 4


def property_grounds(
    household: Household, counted: tuple[Member, ...], children: int, rules: InForce
) -> tuple[list[Reason], list[Reason]]:
    """Art. 125 p.1: property from which the commission concludes there is no need.

    Returns (grounds, exceptions applied). (1) more than one dwelling, unless all dwellings
    together have at most 18 m² of useful area per family member; (2) separate premises used for
    profit; (3) an IZhS land plot while already owning a dwelling; (4) more than one passenger car,
    except for large families and families with a disabled child or a group I-II member;
    (5) agricultural machinery, buses, trucks, special, water or air transport.
    """
    on = household.date
    prop = household.property
    rule = rules.property
    grounds: list[Reason] = []
    exceptions: list[Reason] = []
    if prop.dwellings > 1:
        limit = rule.dwelling_area_per_member_m2 * len(counted)
        if prop.dwellings_area_m2 <= limit:
            exceptions.append(
                reason(
                    "property_dwellings_within_area",
                    on,
                    area=prop.dwellings_area_m2,
                    limit=limit,
                )
            )
        else:
            grounds.append(
                reason(
                    "property_dwellings", on, dwellings=prop.dwellings, area=prop.dwellings_area_m2
                )
            )
    if prop.commercial_premises:
        grounds.append(reason("property_commercial_premises", on))
    if prop.izhs_land_plot and prop.dwellings >= 1:
        grounds.append(reason("property_izhs_land_plot", on))
    if prop.passenger_cars > rule.max_passenger_cars:
        if is_large_family(children) or any(has_disability(m) for m in counted):
            exceptions.append(
                reason("property_passenger_cars_allowed", on, cars=prop.passenger_cars)
            )
        else:
            grounds.append(reason("property_passenger_cars", on, cars=prop.passenger_cars))
    if prop.commercial_vehicles:
        grounds.append(reason("property_commercial_vehicles", on))
    if grounds:
        grounds.append(reason("no_need_concluded", on))
    return grounds, exceptions


def active_bars(household: Household, rules: InForce) -> list[Reason]:
    """Art. 128 sp.4-6: TSA is refused for six months from a refusal of employment measures by
    an able-bodied member (the whole family), within six months after a social contract was
    terminated through the recipient's fault, and for six months after knowingly false
    information."""
    on = household.date
    bars: list[Reason] = []
    for code, since in (
        ("refused_employment_measures", household.refused_employment_measures_on),
        ("contract_terminated", household.contract_terminated_on),
        ("false_information", household.false_information_on),
    ):
        if since is None:
            continue
        until = add_months(since, rules.bar_months)
        if on < until:
            bars.append(reason(code, on, since=since, until=until))
    return bars
