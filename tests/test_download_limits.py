"""Public files made from a whole process (the open-data ZIP, the report as a PDF) share a
per-address budget; facilitators and administrators are not limited."""

import pytest

from tests.conftest import login


@pytest.fixture
def tight(app):
    app.config["RATELIMIT_DOWNLOADS"] = "2 per hour"
    yield
    app.config["RATELIMIT_DOWNLOADS"] = "20 per hour"


def test_anonymous_downloads_share_a_budget(app, client, factory, tight):
    process = factory.process()
    base = f"/consultations/processes/{process}"
    assert client.get(f"{base}/open-data.zip").status_code == 200
    assert client.get(f"{base}/open-data.zip").status_code == 200
    refused = client.get(f"{base}/report.pdf")
    assert refused.status_code == 429
    assert "Demasiados intentos" in refused.get_data(as_text=True)
    english = client.get(f"{base}/open-data.zip", headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many attempts" in english.get_data(as_text=True)
    # Pages are not counted.
    assert client.get(f"{base}/summary").status_code == 200


@pytest.mark.parametrize("role", ["facilitator", "admin"])
def test_managers_are_not_limited(app, client, factory, personas, tight, role):
    process = factory.process()
    login(client, personas[role])
    for _ in range(3):
        assert client.get(f"/consultations/processes/{process}/open-data.zip").status_code == 200


@pytest.mark.parametrize("role", ["citizen", "staff", "expert"])
def test_other_accounts_are_limited(app, client, factory, personas, tight, role):
    process = factory.process()
    login(client, personas[role])
    codes = [client.get(f"/consultations/processes/{process}/open-data.zip").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
