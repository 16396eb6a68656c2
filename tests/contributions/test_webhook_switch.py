import pytest


@pytest.mark.django_db
def test_simulator_webhook_does_not_exist_without_a_secret(client, settings):
    settings.PAYMENT_SIMULATOR_SECRET = ""
    response = client.post("/api/v1/payments/webhooks/simulator/", data=b"{}", content_type="application/json",
                           HTTP_X_SIMULATOR_TIMESTAMP="1", HTTP_X_SIMULATOR_SIGNATURE="x")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_simulator_pages_are_off_unless_enabled(client, settings):
    settings.PAYMENT_SIMULATOR_ENABLED = False
    assert client.get("/simulator/").status_code == 404
    assert client.post("/simulator/bayar/", {"va_number": "8808"}).status_code == 404
