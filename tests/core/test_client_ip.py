"""The client's address behind proxies (TRUSTED_PROXIES), used by every rate limit: the portal's sign-in code
limits and allauth's staff sign-in limits."""

import pytest
from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from core.client_ip import client_ip

PROXY = "10.0.0.5"
CLIENT = "203.0.113.7"
SPOOFED = "198.51.100.99"


def _request(remote=PROXY, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize("setting", ["", "0"])
def test_without_trusted_proxies_x_forwarded_for_is_ignored(setting):
    with override_settings(TRUSTED_PROXIES=setting):
        assert client_ip(_request(remote=CLIENT, forwarded=SPOOFED)) == CLIENT
        assert client_ip(_request(remote=CLIENT, forwarded=f"{SPOOFED}, 127.0.0.1")) == CLIENT


@override_settings(TRUSTED_PROXIES="1")
def test_one_trusted_proxy_takes_the_address_it_appended():
    # The client wrote SPOOFED itself; our proxy appended the address it saw.
    assert client_ip(_request(forwarded=f"{SPOOFED}, {CLIENT}")) == CLIENT
    assert client_ip(_request(forwarded=CLIENT)) == CLIENT
    assert client_ip(_request()) == PROXY  # no header: the connection's address


@override_settings(TRUSTED_PROXIES="2")
def test_two_trusted_proxies():
    assert client_ip(_request(forwarded=f"{SPOOFED}, {CLIENT}, 10.0.0.9")) == CLIENT
    assert client_ip(_request(forwarded="10.0.0.9")) == "10.0.0.9"  # fewer hops than proxies: the left-most


@override_settings(TRUSTED_PROXIES="10.0.0.0/8, 2001:db8::/32")
def test_trusted_proxy_networks_take_the_right_most_untrusted_address():
    assert client_ip(_request(forwarded=f"{SPOOFED}, {CLIENT}, 10.1.2.3")) == CLIENT
    assert client_ip(_request(remote="2001:db8::1", forwarded=f"{SPOOFED}, {CLIENT}")) == CLIENT
    # A connection that does not come from our proxies: its header is not believed.
    assert client_ip(_request(remote=CLIENT, forwarded=f"{SPOOFED}, 10.1.2.3")) == CLIENT
    # All hops are ours: the left-most.
    assert client_ip(_request(forwarded="10.9.9.9, 10.1.2.3")) == "10.9.9.9"
    # Garbage where the client should be: the nearest proxy we trust.
    assert client_ip(_request(forwarded="not-an-ip, 10.1.2.3")) == "10.1.2.3"


@override_settings(TRUSTED_PROXIES="1")
def test_addresses_are_normalised():
    assert client_ip(_request(forwarded=" 203.0.113.7:4711 ")) == CLIENT
    assert client_ip(_request(forwarded="[2001:DB8::7]:443")) == "2001:db8::7"
    assert client_ip(_request(forwarded="bogus")) == PROXY


def test_a_wrong_setting_is_a_configuration_error():
    with override_settings(TRUSTED_PROXIES="10.0.0.0/33"), pytest.raises(ImproperlyConfigured):
        client_ip(_request(forwarded=CLIENT))


@pytest.mark.parametrize("setting, expected", [("0", PROXY), ("1", CLIENT)])
def test_allauth_rate_limits_use_the_same_address(setting, expected):
    with override_settings(TRUSTED_PROXIES=setting):
        assert get_adapter().get_client_ip(_request(forwarded=f"{SPOOFED}, {CLIENT}")) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("setting, second", [("0", 429), ("1", 202)])
def test_sign_in_code_limits_count_by_the_client_address(client, setting, second):
    """Two people behind the same proxy: one address each only when the proxy is trusted."""
    with override_settings(TRUSTED_PROXIES=setting, OTP_REQUESTS_PER_IP_PER_HOUR=1):
        statuses = [
            client.post("/api/v1/auth/code/request/", {"phone": phone}, content_type="application/json",
                        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {address}").status_code
            for phone, address in (("+6281234567801", CLIENT), ("+6281234567802", "203.0.113.8"))
        ]
    assert statuses == [202, second]


@pytest.mark.django_db
def test_spoofed_addresses_do_not_escape_the_per_ip_limit(client):
    """With no trusted proxy, a client that makes up a new X-Forwarded-For each time is still one address."""
    with override_settings(TRUSTED_PROXIES="0", OTP_REQUESTS_PER_IP_PER_HOUR=2):
        statuses = [
            client.post("/api/v1/auth/code/request/", {"phone": f"+62812345678{n:02d}"},
                        content_type="application/json", REMOTE_ADDR=CLIENT,
                        HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
            for n in range(3)
        ]
    assert statuses == [202, 202, 429]
