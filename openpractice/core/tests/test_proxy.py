import pytest
from django.test import override_settings

from openpractice.audit.models import AuditEvent
from openpractice.core.proxy import client_address

PROXIES = ("127.0.0.1", "10.0.0.0/24")


def test_a_trusted_proxy_passes_on_the_client_address():
    assert client_address("10.0.0.5", "203.0.113.9", PROXIES) == "203.0.113.9"


def test_a_client_cannot_forge_its_address_through_the_header():
    # The client wrote 1.2.3.4 itself; our proxy appended the address it really saw.
    assert client_address("127.0.0.1", "1.2.3.4, 198.51.100.7", PROXIES) == "198.51.100.7"


def test_chained_proxies_are_skipped_from_the_right():
    assert client_address("127.0.0.1", "198.51.100.7, 10.0.0.9", PROXIES) == "198.51.100.7"


def test_the_header_is_ignored_from_an_untrusted_sender():
    assert client_address("192.0.2.50", "198.51.100.7", PROXIES) == "192.0.2.50"


def test_the_header_is_ignored_when_no_proxy_is_configured():
    assert client_address("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"


def test_garbage_in_the_header_keeps_the_proxy_address():
    assert client_address("127.0.0.1", "not-an-address", PROXIES) == "127.0.0.1"


@pytest.mark.django_db
@override_settings(OPENPRACTICE_TRUSTED_PROXIES=["127.0.0.1"])
def test_a_failed_sign_in_is_audited_with_the_client_address(client, practice):
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong-password-123"},
                REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.ip_address == "198.51.100.7"
