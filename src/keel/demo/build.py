"""Build the demo: people and teams, categories, services and CIs, then 90 days of incidents.

Everything goes through the same actions the UI and the API call (``accounts.actions``,
``cmdb.actions``, ``incidents.actions``), so the demo shows what Keel really records.
"""

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from django.db import transaction
from django.utils import timezone

from keel.accounts.actions import add_team_member, create_user, ensure_team, set_shared_password
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.cmdb.actions.records import create_ci, create_service, ensure_default_ci_types
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import ConfigurationItem, Service
from keel.demo.cast import SERVICE_DESK, Cast
from keel.demo.escalation import create_escalation_policies
from keel.demo.oncall import create_oncall_schedules
from keel.demo.routing import create_routing_rules
from keel.demo.service_levels import create_service_levels
from keel.demo.stories import play_history
from keel.incidents.actions.reference import ensure_category
from keel.incidents.models import Category, Incident
from keel.incidents.states import IncidentState
from keel.lib import events
from keel.lib.errors import Conflict
from keel.sla.actions.sweep import sweep

DEMO_PASSWORD: Final = "keel-demo"
SEED: Final = 20_260_301
# Its presence means the demo is loaded: it is created in the same transaction as everything else.
MARKER_USERNAME: Final = "admin"
MONITORING_USERNAME: Final = "monitoring"


class DemoPerson(NamedTuple):
    username: str
    name: str
    role: Role
    time_zone: str = "UTC"
    manager: str = ""
    is_vip: bool = False


ACCOUNTS: Final[tuple[DemoPerson, ...]] = (
    DemoPerson("admin", "Morgan Reyes", Role.ADMIN, "Europe/Amsterdam"),
    DemoPerson("imogen", "Imogen Clarke", Role.INCIDENT_MANAGER, "Europe/London"),
    DemoPerson("carmen", "Carmen Ortiz", Role.CONFIGURATION_MANAGER, "Europe/Madrid", manager="imogen"),
    DemoPerson("priya", "Priya Nair", Role.AGENT, "Europe/London", manager="imogen"),
    DemoPerson("alice", "Alice Moreau", Role.AGENT, "Europe/Paris", manager="priya"),
    DemoPerson("samir", "Samir Haddad", Role.AGENT, "Europe/Amsterdam", manager="priya"),
    DemoPerson("nick", "Nick Jansen", Role.RESOLVER, "Europe/Amsterdam", manager="imogen"),
    DemoPerson("hana", "Hana Sato", Role.RESOLVER, "Asia/Tokyo", manager="nick"),
    DemoPerson("dora", "Dora Kowalski", Role.RESOLVER, "Europe/Warsaw", manager="imogen"),
    DemoPerson("arjun", "Arjun Mehta", Role.RESOLVER, "Asia/Kolkata", manager="imogen"),
    DemoPerson("li", "Li Wei", Role.RESOLVER, "Asia/Singapore", manager="arjun"),
    DemoPerson("erik", "Erik Lindqvist", Role.RESOLVER, "Europe/Stockholm", manager="imogen"),
    DemoPerson("tomas", "Tomás Ruiz", Role.RESOLVER, "Europe/Madrid", manager="erik"),
    DemoPerson("james", "James Whitaker", Role.REQUESTER, "America/New_York", is_vip=True),
    DemoPerson("helena", "Helena Vogt", Role.REQUESTER, "Europe/Berlin", manager="james", is_vip=True),
    DemoPerson("mei", "Mei Lin", Role.REQUESTER, "Asia/Singapore", manager="james", is_vip=True),
    DemoPerson("rita", "Rita Oliveira", Role.REQUESTER, "Europe/Lisbon", manager="helena"),
    DemoPerson("otto", "Otto Becker", Role.REQUESTER, "Europe/Berlin", manager="helena"),
    DemoPerson("lena", "Lena Fischer", Role.REQUESTER, "Europe/Berlin", manager="helena"),
    DemoPerson("grace", "Grace Kim", Role.REQUESTER, "America/New_York", manager="james"),
    DemoPerson("mateo", "Mateo García", Role.REQUESTER, "America/Sao_Paulo", manager="grace"),
    DemoPerson("sofia", "Sofia Rossi", Role.REQUESTER, "Europe/Rome", manager="grace"),
    DemoPerson("aisha", "Aisha Bello", Role.REQUESTER, "Europe/London", manager="grace"),
    DemoPerson("kenji", "Kenji Tanaka", Role.REQUESTER, "Asia/Tokyo", manager="mei"),
    DemoPerson("noah", "Noah Williams", Role.REQUESTER, "Australia/Sydney", manager="mei"),
    DemoPerson("lucas", "Lucas Martin", Role.REQUESTER, "UTC", manager="helena"),
)

# The integration account monitoring alerts arrive as: API tokens only, so not in the sign-in table.
MONITORING: Final = DemoPerson(MONITORING_USERNAME, "Monitoring (Alertmanager)", Role.AGENT)


class DemoTeam(NamedTuple):
    slug: str
    name: str
    manager: str
    members: tuple[str, ...]


TEAMS: Final[tuple[DemoTeam, ...]] = (
    DemoTeam("service-desk", "Service Desk", "priya", ("priya", "alice", "samir")),
    DemoTeam("network", "Network", "nick", ("nick", "hana")),
    DemoTeam("database", "Database", "dora", ("dora", "li")),
    DemoTeam("applications", "Applications", "arjun", ("arjun", "li")),
    DemoTeam("end-user-computing", "End-User Computing", "erik", ("erik", "tomas")),
)

CATEGORIES: Final[Mapping[str, tuple[str, ...]]] = {
    "Network": ("VPN", "Wi-Fi", "LAN"),
    "Hardware": ("Laptop", "Printer", "Server & storage"),
    "Software": ("E-mail", "Office", "ERP", "Online shop"),
    "Database": ("Performance", "Availability", "Backup & restore"),
    "Access": ("Password reset", "Permissions"),
    "Service request": ("How-to question", "Software install"),
}


class DemoService(NamedTuple):
    name: str
    description: str
    owner: str  # team slug
    users: int
    criticality: int  # 1 (critical) to 5


SERVICES: Final[tuple[DemoService, ...]] = (
    DemoService(
        "Online shop", "The customer-facing web shop: catalogue, basket, checkout and payments.", "applications",
        25_000, 1,
    ),
    DemoService("E-mail", "Mailboxes, the mail gateway and spam filtering.", "applications", 1_200, 2),
    DemoService("VPN", "Remote access for staff working from home or travelling.", "network", 400, 3),
    DemoService("ERP", "Finance, purchasing and stock.", "applications", 300, 2),
    DemoService("Payroll", "Salary runs, payslips and the time-sheet interface.", "applications", 60, 2),
    DemoService("Workplace", "Laptops, printers, office software, Wi-Fi and the office network.", "end-user-computing",
                1_200, 3),
)  # fmt: skip


class DemoCI(NamedTuple):
    name: str
    ci_type: str  # slug
    criticality: int
    support_group: str  # team slug
    location: str
    description: str


CONFIGURATION_ITEMS: Final[tuple[DemoCI, ...]] = (
    DemoCI("shop-web-01", "server", 2, "applications", "AMS1", "Web front end of the shop."),
    DemoCI("checkout-api", "application", 2, "applications", "AMS1", "Checkout and payment orchestration API."),
    DemoCI(
        "fraud-check-api", "application", 3, "applications", "AMS1", "Scores orders; calls checkout back for details."
    ),
    DemoCI("catalogue-api", "application", 3, "applications", "AMS1", "Product catalogue and search."),
    DemoCI("payments-db", "database", 1, "database", "AMS1", "PostgreSQL cluster holding orders and payments."),
    DemoCI("catalogue-db", "database", 3, "database", "AMS1", "Product data."),
    DemoCI("app-cluster-01", "cluster", 2, "applications", "AMS1", "Kubernetes cluster running the shop's services."),
    DemoCI("storage-cluster-01", "storage", 2, "database", "AMS1", "Ceph cluster for databases, images and backups."),
    DemoCI("storage-node-01", "server", 4, "database", "AMS1 rack 4", "Ceph storage node."),
    DemoCI("storage-node-02", "server", 4, "database", "AMS1 rack 5", "Ceph storage node."),
    DemoCI("storage-node-03", "server", 4, "database", "AMS1 rack 6", "Ceph storage node."),
    DemoCI("mail-gw-01", "network-device", 3, "network", "AMS1", "Inbound and outbound mail gateway with spam filter."),
    DemoCI("exchange-01", "server", 2, "applications", "AMS1", "Mailbox server."),
    DemoCI("vpn-gw-01", "network-device", 3, "network", "AMS1", "Remote-access VPN gateway."),
    DemoCI("erp-app-01", "application", 2, "applications", "AMS1", "ERP application server."),
    DemoCI("erp-db-01", "database", 2, "database", "AMS1", "ERP database."),
    DemoCI("payroll-app-01", "application", 3, "applications", "AMS1", "Payroll application and time-sheet interface."),
    DemoCI("core-switch-01", "network-device", 1, "network", "Head office", "Core switch of the head office."),
    DemoCI("wifi-controller-01", "network-device", 3, "network", "Head office", "Wireless LAN controller, all floors."),
    DemoCI("print-srv-01", "server", 4, "end-user-computing", "Head office", "Print server for the office printers."),
)

# source, kind, target: a service tree from each business service down to the network and storage,
# with one loop (the fraud check calls the checkout back) so the graph shows how cycles are drawn.
RELATIONSHIPS: Final[tuple[tuple[str, str, str], ...]] = (
    ("Online shop", "depends_on", "shop-web-01"),
    ("shop-web-01", "depends_on", "checkout-api"),
    ("shop-web-01", "depends_on", "catalogue-api"),
    ("checkout-api", "depends_on", "payments-db"),
    ("checkout-api", "depends_on", "fraud-check-api"),
    ("fraud-check-api", "depends_on", "checkout-api"),
    ("checkout-api", "runs_on", "app-cluster-01"),
    ("catalogue-api", "runs_on", "app-cluster-01"),
    ("fraud-check-api", "runs_on", "app-cluster-01"),
    ("catalogue-api", "depends_on", "catalogue-db"),
    ("payments-db", "depends_on", "storage-cluster-01"),
    ("catalogue-db", "depends_on", "storage-cluster-01"),
    ("storage-node-01", "part_of", "storage-cluster-01"),
    ("storage-node-02", "part_of", "storage-cluster-01"),
    ("storage-node-03", "part_of", "storage-cluster-01"),
    ("storage-cluster-01", "connects_to", "core-switch-01"),
    ("app-cluster-01", "connects_to", "core-switch-01"),
    ("E-mail", "depends_on", "mail-gw-01"),
    ("E-mail", "depends_on", "exchange-01"),
    ("exchange-01", "depends_on", "storage-cluster-01"),
    ("mail-gw-01", "connects_to", "core-switch-01"),
    ("VPN", "depends_on", "vpn-gw-01"),
    ("vpn-gw-01", "connects_to", "core-switch-01"),
    ("ERP", "depends_on", "erp-app-01"),
    ("erp-app-01", "depends_on", "erp-db-01"),
    ("erp-db-01", "depends_on", "storage-cluster-01"),
    ("Payroll", "depends_on", "payroll-app-01"),
    ("payroll-app-01", "depends_on", "erp-db-01"),
    ("Workplace", "depends_on", "core-switch-01"),
    ("Workplace", "depends_on", "wifi-controller-01"),
    ("Workplace", "depends_on", "print-srv-01"),
    ("wifi-controller-01", "connects_to", "core-switch-01"),
)


class DemoAccount(NamedTuple):
    username: str
    role: str
    password: str


def demo_accounts() -> list[DemoAccount]:
    """The accounts to sign in with, as (username, role, password) rows."""
    return [DemoAccount(person.username, Role(person.role).label, DEMO_PASSWORD) for person in ACCOUNTS]


def demo_is_loaded() -> bool:
    return User.objects.filter(username=MARKER_USERNAME).exists()


def database_is_empty() -> bool:
    """Nobody and nothing yet: the state right after ``keel migrate``."""
    return not User.objects.exists() and not Incident.objects.exists()


@dataclass(frozen=True)
class DemoSummary:
    people: int
    teams: int
    categories: int
    subcategories: int
    services: int
    configuration_items: int
    incidents_by_state: Mapping[str, int]


class DatabaseNotEmpty(Conflict):
    pass


def build_demo(*, seed: int = SEED, now: datetime | None = None) -> DemoSummary:
    """Fill an empty database with the demo, all or nothing. Refuses a database that has incidents."""
    now = now or timezone.now()
    with transaction.atomic(), events.muted():
        if Incident.objects.exists():
            raise DatabaseNotEmpty(
                "This database already has incidents; keel demo only fills a fresh one. "
                "Point KEEL_VAR_DIR or DATABASE_URL at an empty database and run keel migrate first."
            )
        people = create_people()
        teams = create_teams(people)
        categories = create_categories()
        services = create_services(teams)
        cis = create_configuration_items(teams, services)
        create_service_levels()
        cast = assemble_cast(people, teams, categories, services, cis)
        play_history(cast, random.Random(seed), now=now)
        create_routing_rules(teams, categories, services)
        create_oncall_schedules(teams, now=now)
        # Record the warnings and breaches the history crossed (muted: nobody is notified of the past).
        sweep(now=now)
        # Escalate what stalled, after the SLA warnings it may wait for: the inboxes show it.
        create_escalation_policies(now=now)
    return summarise(people, teams, categories, services, cis)


def create_people() -> dict[str, User]:
    """Every demo account (managers come before their reports in ACCOUNTS), sharing one password."""
    people: dict[str, User] = {}
    for index, person in enumerate((*ACCOUNTS, MONITORING), start=100):
        people[person.username] = create_user(
            username=person.username,
            role=person.role,
            name=person.name,
            email=f"{person.username}@example.com",
            phone=f"+31 20 555 {index:04d}" if person.role != Role.REQUESTER else "",
            time_zone=person.time_zone,
            is_vip=person.is_vip,
            manager=people[person.manager] if person.manager else None,
        )
    # One hash for everyone: hashing the shared, published password per account costs ~0.3 s each.
    set_shared_password([people[person.username] for person in ACCOUNTS], DEMO_PASSWORD)
    return people


def create_teams(people: Mapping[str, User]) -> dict[str, Team]:
    teams = {}
    for spec in TEAMS:
        team = ensure_team(slug=spec.slug, name=spec.name, manager=people[spec.manager])
        for username in spec.members:
            add_team_member(team, people[username])
        teams[spec.slug] = team
    return teams


def create_categories() -> dict[str, Category]:
    """The category tree, keyed ``"Network"`` for a category and ``"Network/VPN"`` for a subcategory."""
    tree = {}
    for name, children in CATEGORIES.items():
        parent = ensure_category(actor=None, name=name)
        tree[name] = parent
        for child in children:
            tree[f"{name}/{child}"] = ensure_category(actor=None, name=child, parent=parent)
    return tree


def create_services(teams: Mapping[str, Team]) -> dict[str, Service]:
    """The business services, each with its CI in the graph (create_service makes it), through the CMDB actions."""
    services = {}
    for spec in SERVICES:
        services[spec.name] = Service.objects.filter(name=spec.name).first() or create_service(
            actor=None,
            name=spec.name,
            users=spec.users,
            criticality=spec.criticality,
            description=spec.description,
            owner_team=teams[spec.owner],
        )
    return services


def create_configuration_items(
    teams: Mapping[str, Team], services: Mapping[str, Service]
) -> dict[str, ConfigurationItem]:
    """The CIs and the relationships of the service tree (the services' own CIs included, by name)."""
    types = ensure_default_ci_types()
    cis = {}
    for spec in CONFIGURATION_ITEMS:
        cis[spec.name] = ConfigurationItem.objects.filter(name=spec.name).first() or create_ci(
            actor=None,
            name=spec.name,
            ci_type=types[spec.ci_type],
            criticality=spec.criticality,
            fields={
                "support_group": teams[spec.support_group],
                "owner_team": teams[spec.support_group],
                "location": spec.location,
                "description": spec.description,
            },
        )
    nodes = {**cis, **{name: service.ci for name, service in services.items() if service.ci is not None}}
    for source, kind, target in RELATIONSHIPS:
        relate(actor=None, source=nodes[source], target=nodes[target], kind=kind)
    return cis


def assemble_cast(
    people: Mapping[str, User],
    teams: Mapping[str, Team],
    categories: Mapping[str, Category],
    services: Mapping[str, Service],
    cis: Mapping[str, ConfigurationItem],
) -> Cast:
    # Team members are loaded fresh: a User caches its team ids on first use.
    members = {slug: tuple(team.members.order_by("username")) for slug, team in teams.items()}
    return Cast(
        agents=members[SERVICE_DESK],
        manager=people["imogen"],
        monitoring=people[MONITORING_USERNAME],
        requesters=tuple(people[person.username] for person in ACCOUNTS if person.role == Role.REQUESTER),
        teams=teams,
        members=members,
        categories=categories,
        services=services,
        cis=cis,
    )


def summarise(
    people: Mapping[str, User],
    teams: Mapping[str, Team],
    categories: Mapping[str, Category],
    services: Mapping[str, Service],
    cis: Mapping[str, ConfigurationItem],
) -> DemoSummary:
    counts = Counter(Incident.objects.values_list("state", flat=True))
    return DemoSummary(
        people=len(people),
        teams=len(teams),
        categories=len(CATEGORIES),
        subcategories=len(categories) - len(CATEGORIES),
        services=len(services),
        configuration_items=len(cis),
        incidents_by_state={state.value: counts[state.value] for state in IncidentState},
    )
