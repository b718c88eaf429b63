def test_agent_creates_incident_through_api(api, agent, requester):
    response = api(agent).post("/incidents", {"title": "Mail down", "impact": "high", "urgency": "medium", "caller": "rita"})
    assert response.status_code == 201
    assert response.json()["priority"] == "P2"
