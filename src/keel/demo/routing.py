"""The demo's routing rules: where the desk sends new incidents. Made after the history is played,
so the history stays as the desk assigned it by hand; what is logged from then on is routed."""

from collections.abc import Mapping
from typing import Any

from keel.accounts.actions import update_team
from keel.accounts.models import Team
from keel.cmdb.models import Service
from keel.incidents.models import Category
from keel.routing.actions import create_group_assignment, create_rule
from keel.routing.models import Strategy


def create_routing_rules(
    teams: Mapping[str, Team], categories: Mapping[str, Category], services: Mapping[str, Service]
) -> int:
    """Five rules, the first a VIP fast lane, and two groups that hand incidents to a member (the
    others keep them in their queue); returns how many rules."""
    rules: list[dict[str, Any]] = [
        {
            "name": "VIP callers first",
            "position": 10,
            "caller_vip": True,
            "set_urgency": 1,
            "assignment_group": teams["service-desk"],
            "description": "Executives' calls go to the desk at high urgency, whatever they are about.",
        },
        {
            "name": "Network on site",
            "position": 20,
            "category_ids": [categories["Network"].pk],
            "assignment_group": teams["network"],
        },
        {
            "name": "Database trouble",
            "position": 30,
            "category_ids": [categories["Database"].pk],
            "assignment_group": teams["database"],
        },
        {
            "name": "ERP, payroll and mail",
            "position": 40,
            "service_ids": [services[name].pk for name in ("ERP", "Payroll", "E-mail")],
            "assignment_group": teams["applications"],
        },
        {
            "name": "Printers and laptops",
            "position": 50,
            "words": ["printer", "toner", "laptop", "docking"],
            "assignment_group": teams["end-user-computing"],
        },
    ]
    for fields in rules:
        create_rule(actor=None, fields=fields)
    # The desk's next tier, offered as "Escalate to End-User Computing…" on its incidents.
    update_team(teams["service-desk"], actor=None, changes={"escalates_to": teams["end-user-computing"]})
    create_group_assignment(actor=None, fields={"team": teams["network"], "strategy": Strategy.ROUND_ROBIN})
    create_group_assignment(actor=None, fields={"team": teams["end-user-computing"], "strategy": Strategy.LEAST_LOADED})
    return len(rules)
