"""The impact proposal rules: pure function, every rule and the tie-breaking between them."""

from keel.cmdb.proposal import ImpactContext, ProposedImpact, ServiceAtRisk, propose_impact


def context(*services: ServiceAtRisk, criticality: int = 3, open_incidents: int = 0) -> ImpactContext:
    return ImpactContext(
        ci_name="payments-db", ci_criticality=criticality, services=services, open_incidents=open_incidents
    )


def test_a_ci_a_critical_service_depends_on_is_high_impact() -> None:
    proposal = propose_impact(context(ServiceAtRisk("Online shop", users=40, criticality=1, distance=2)))

    assert proposal.impact == ProposedImpact.HIGH
    assert proposal.reasons == ("Online shop (40 users) depends on payments-db and is rated 1 – critical",)


def test_many_users_make_it_high_even_for_ordinary_services() -> None:
    proposal = propose_impact(context(ServiceAtRisk("E-mail", 800, 3, 1), ServiceAtRisk("Intranet", 700, 4, 2)))

    assert proposal.impact == ProposedImpact.HIGH
    assert proposal.reasons == ("The services that depend on it serve 1,500 users",)


def test_a_critical_ci_is_high_on_its_own() -> None:
    proposal = propose_impact(context(criticality=1))

    assert proposal == propose_impact(context(criticality=1))
    assert proposal.impact == ProposedImpact.HIGH
    assert proposal.reasons == ("payments-db itself is rated 1 – critical",)


def test_an_ordinary_dependent_service_is_medium_with_every_medium_reason() -> None:
    proposal = propose_impact(context(ServiceAtRisk("Intranet", 150, 3, 1), criticality=2))

    assert proposal.impact == ProposedImpact.MEDIUM
    assert proposal.reasons == (
        "Intranet (150 users) depends on payments-db",
        "The services that depend on it serve 150 users",
        "payments-db itself is rated 2 – high",
    )


def test_other_open_incidents_on_the_ci_widen_a_low_impact_to_medium() -> None:
    assert propose_impact(context(open_incidents=1)).impact == ProposedImpact.LOW
    proposal = propose_impact(context(open_incidents=2))

    assert proposal.impact == ProposedImpact.MEDIUM
    assert proposal.reasons == ("2 other incidents are already open on payments-db: more people are affected",)


def test_nothing_depending_and_nothing_critical_is_low_and_says_so() -> None:
    proposal = propose_impact(context(criticality=4))

    assert proposal.impact == ProposedImpact.LOW
    assert proposal.reasons == ("No business service depends on payments-db and it is not rated critical",)


def test_the_ci_that_is_the_service_itself_says_so() -> None:
    proposal = propose_impact(context(ServiceAtRisk("Payroll", 90, 2, 0)))

    assert proposal.reasons == ("payments-db is the business service Payroll (90 users) and is rated 2 – high",)
