"""Organisation sponsors: sign up with email + password, confirm the address by a link from the outbox, sign in,
reset a forgotten password; the sponsor dashboard lists the sponsor's own receipts."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError

from contributions.models import PaymentOrder
from contributions.selectors import receipts_for_payer
from contributions.services.payments import payment_order_create_for_many
from core.models import AuditEvent, Channel, OutboxMessage, Role, User
from members.models import Sponsor
from members.services import sponsor_become
from sponsors.organisations import organisation_sponsor_register
from sponsors.services import sponsor_register_worker
from tests.contributions.helpers import confirm, member_make
from tests.core.helpers import field_errors

pytestmark = pytest.mark.django_db

SIGNUP = "/penyantun/organisasi/daftar/"
LOGIN = "/penyantun/organisasi/masuk/"
EMAIL_SENT = "/penyantun/organisasi/cek-email/"
RESET = "/penyantun/organisasi/lupa-kata-sandi/"
PASSWORD = "Peduli-Pekerja-2026"
EMAIL = "csr@majubersama.co.id"


def _signup_data(**overrides):
    data = {"organisation_name": "PT Maju Bersama (CSR)", "contact_name": "Dewi Lestari", "email": EMAIL,
            "password1": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return data


def _link(message: OutboxMessage) -> str:
    """The path of the one link in an email (as the organisation would open it)."""
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _mail(purpose: str, recipient: str = EMAIL) -> OutboxMessage:
    message = OutboxMessage.objects.filter(channel=Channel.EMAIL, recipient=recipient, purpose=purpose) \
        .order_by("-pk").first()
    assert message is not None, f"no {purpose} email to {recipient}"
    return message


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def organisation():
    """A confirmed organisation account, as after sign-up and the confirmation link."""
    return organisation_sponsor_register(email=EMAIL, password=PASSWORD, organisation_name="PT Maju Bersama (CSR)",
                                         contact_name="Dewi Lestari", email_verified=True)


# Services


def test_register_makes_a_sponsor_account_that_is_never_staff():
    sponsor = organisation_sponsor_register(email=" CSR@MajuBersama.co.id ", password=PASSWORD,
                                            organisation_name=" PT Maju Bersama ", contact_name="Dewi Lestari")
    user = sponsor.user
    assert sponsor.kind == Sponsor.Kind.ORGANISATION and sponsor.name == "PT Maju Bersama"
    assert user.role == Role.SPONSOR and not user.is_staff and not user.is_superuser and not user.is_portal_staff
    assert user.email == EMAIL and user.first_name == "Dewi Lestari" and user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.email == EMAIL and address.primary and not address.verified
    actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert actions == {"user.created", "sponsor.created"}


def test_register_refuses_an_address_in_use_whatever_its_case(organisation):
    with pytest.raises(ValidationError) as exc:
        organisation_sponsor_register(email="CSR@majubersama.CO.ID", password=PASSWORD, organisation_name="Lain",
                                      contact_name="Budi")
    assert "email" in exc.value.message_dict
    User.objects.create(username="spv", email="spv@bpjs.example", role=Role.SUPERVISOR)
    with pytest.raises(ValidationError):
        organisation_sponsor_register(email="spv@bpjs.example", password=PASSWORD, organisation_name="X",
                                      contact_name="Y")
    assert Sponsor.objects.count() == 1


# Sign-up, confirmation and sign-in


def test_signup_page_in_english_on_request(client, english):
    html = client.get(SIGNUP).content.decode()
    assert "Register your organisation as a sponsor" in html
    for name in ("organisation_name", "contact_name", "email", "password1", "password2"):
        assert f'name="{name}"' in html


def test_signup_sends_a_confirmation_link_and_the_account_waits_for_it(client):
    response = client.post(SIGNUP, _signup_data())
    assert response.status_code == 302 and response.url == EMAIL_SENT
    assert _signed_in_user_id(client) is None
    user = User.objects.get(email=EMAIL)
    assert user.role == Role.SPONSOR and user.sponsor.kind == "organisation"
    mail = _mail("email_confirmation_signup")
    assert mail.subject.startswith("BPJS Ketenagakerjaan BPU: ") and PASSWORD not in mail.body
    assert _link(mail).startswith("/penyantun/organisasi/konfirmasi/")
    assert client.get(EMAIL_SENT).status_code == 200


def test_unconfirmed_email_cannot_sign_in(client):
    client.post(SIGNUP, _signup_data())
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response.url == EMAIL_SENT
    assert _signed_in_user_id(client) is None
    assert client.get("/penyantun/").status_code == 302  # still the sign-in page


def test_confirm_link_then_sign_in_lands_on_the_sponsor_dashboard(client):
    client.post(SIGNUP, _signup_data())
    link = _link(_mail("email_confirmation_signup"))
    page = client.get(link)
    assert page.status_code == 200 and EMAIL in page.content.decode()
    assert not EmailAddress.objects.get(email=EMAIL).verified  # opening the link alone confirms nothing
    response = client.post(link)
    assert response.status_code == 302 and response.url == LOGIN
    assert EmailAddress.objects.get(email=EMAIL).verified
    user = User.objects.get(email=EMAIL)
    assert AuditEvent.objects.filter(action="sponsor.email_confirmed", object_id=str(user.sponsor.pk)).exists()

    response = client.post(LOGIN, {"login": EMAIL.upper(), "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/penyantun/"
    assert str(user.pk) == _signed_in_user_id(client)
    assert "PT Maju Bersama (CSR)" in response.content.decode()


def test_signup_errors_show_next_to_the_field_and_keep_what_was_typed(client, english):
    html = client.post(SIGNUP, _signup_data(organisation_name="", email="not-an-address",
                                            password2="Something-else-2026")).content.decode()
    assert "Please enter the name of your organisation." in field_errors(html, "organisation_name")
    assert "Please enter an email address like" in field_errors(html, "email")
    assert 'value="Dewi Lestari"' in html and 'value="not-an-address"' in html
    assert PASSWORD not in html and "Something-else-2026" not in html
    assert not User.objects.filter(role=Role.SPONSOR).exists()
    html = client.post(SIGNUP, _signup_data(password1="1234567890", password2="1234567890")).content.decode()
    assert field_errors(html, "password1")
    assert 'value="PT Maju Bersama (CSR)"' in html and f'value="{EMAIL}"' in html
    html = client.post(SIGNUP, _signup_data(password2="Something-else-2026")).content.decode()
    assert field_errors(html, "password2")
    assert not User.objects.filter(role=Role.SPONSOR).exists()


def test_signup_with_a_taken_address_reveals_nothing_and_creates_nothing(client, organisation):
    response = client.post(SIGNUP, _signup_data(organisation_name="Someone Else", email=EMAIL.upper()))
    assert response.status_code == 302 and response.url == EMAIL_SENT
    assert Sponsor.objects.count() == 1
    mail = _mail("account_already_exists")
    assert "/penyantun/organisasi/masuk/" in mail.body and "/penyantun/organisasi/lupa-kata-sandi/" in mail.body


def test_staff_cannot_be_created_through_signup(client):
    client.post(SIGNUP, _signup_data(role=Role.ADMIN, is_staff="on", is_superuser="on", username="admin2"))
    user = User.objects.get(email=EMAIL)
    assert user.role == Role.SPONSOR and not user.is_staff and not user.is_superuser
    assert user.username.startswith("org-")
    # allauth's own sign-up page stays closed.
    client.post("/akun/signup/", {"email": "x@example.com", "username": "x", "password1": PASSWORD,
                                  "password2": PASSWORD})
    assert not User.objects.filter(email="x@example.com").exists()


def test_wrong_password_keeps_the_email_and_says_so(client, organisation, english):
    html = client.post(LOGIN, {"login": EMAIL, "password": "wrong-password-1"}).content.decode()
    assert 'role="alert"' in html and "not correct" in html
    assert f'value="{EMAIL}"' in html and "wrong-password-1" not in html
    assert _signed_in_user_id(client) is None


def test_staff_do_not_sign_in_by_email(client, organisation):
    staff = User.objects.create(username="petugas", email="petugas@bpjs.example", role=Role.BRANCH_STAFF)
    staff.set_password(PASSWORD)
    staff.save()
    EmailAddress.objects.create(user=staff, email="petugas@bpjs.example", verified=True, primary=True)
    html = client.get("/akun/login/").content.decode()
    assert 'autocomplete="username"' in html and 'type="email"' not in html
    for url in (LOGIN, "/akun/login/"):
        client.post(url, {"login": "petugas@bpjs.example", "password": PASSWORD})
        assert _signed_in_user_id(client) is None
    # By username, as before: on to the TOTP set-up every staff member must do.
    response = client.post("/akun/login/", {"login": "petugas", "password": PASSWORD}, follow=True)
    assert _signed_in_user_id(client) == str(staff.pk)
    assert "totp" in response.redirect_chain[-1][0]


def test_password_reset_by_email_link(client, organisation):
    response = client.post(RESET, {"email": EMAIL})
    assert response.status_code == 302 and response.url == "/penyantun/organisasi/lupa-kata-sandi/terkirim/"
    link = _link(_mail("password_reset_key"))
    assert link.startswith("/penyantun/organisasi/kata-sandi-baru/")
    form_url = client.get(link).url  # the key moves into the session, out of the address
    assert form_url.endswith("-set-password/")
    response = client.post(form_url, {"password1": "Sandi-Baru-Yayasan-1", "password2": "Sandi-Baru-Yayasan-1"})
    assert response.status_code == 302 and response.url == "/penyantun/organisasi/kata-sandi-baru/selesai/"
    assert AuditEvent.objects.filter(action="user.password_changed", actor=organisation.user).exists()
    client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert _signed_in_user_id(client) is None
    client.post(LOGIN, {"login": EMAIL, "password": "Sandi-Baru-Yayasan-1"})
    assert _signed_in_user_id(client) == str(organisation.user.pk)
    # A used link does not work twice.
    client.post("/keluar/")
    assert client.get(link).context["token_fail"]


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(client):
    response = client.post(RESET, {"email": "nobody@example.com"})
    assert response.status_code == 302 and response.url == "/penyantun/organisasi/lupa-kata-sandi/terkirim/"
    assert not OutboxMessage.objects.filter(recipient="nobody@example.com").exists()


def test_sign_out(client, organisation):
    client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert _signed_in_user_id(client)
    client.post("/keluar/")
    assert _signed_in_user_id(client) is None


def test_staff_outbox_never_shows_confirmation_links(client, settings):
    from tests.core.helpers import staff_login

    client.post(SIGNUP, _signup_data())
    admin = User.objects.create(username="adm", role=Role.ADMIN)
    staff_login(client, admin)
    link = _link(_mail("email_confirmation_signup"))
    for debug in (False, True):
        settings.DEBUG = debug
        html = client.get("/staf/kotak-keluar/").content.decode()
        assert "email_confirmation_signup" in html and link not in html


# The sponsor pages and receipts


@pytest.fixture
def other_sponsor_with_a_paid_worker(registration_data):
    citizen = sponsor_become(user=User.objects.create(username="o", phone="+6281399990000"), name="Pak Budi")
    member = sponsor_register_worker(sponsor=citizen, data=registration_data(), relationship="private_driver")
    order = payment_order_create_for_many(items=[(member, 1)], payer=citizen.user)
    payment = confirm(order).payment
    return citizen, member, payment


def test_an_organisation_never_sees_another_sponsors_workers_or_receipts(client, organisation,
                                                                         other_sponsor_with_a_paid_worker):
    citizen, member, payment = other_sponsor_with_a_paid_worker
    client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    html = client.get("/penyantun/").content.decode()
    assert member.kpj not in html and payment.receipt_number not in html
    assert client.get(f"/anggota/bukti-bayar/{payment.receipt_number}/").status_code == 404
    assert client.get(f"/anggota/bukti-bayar/{payment.receipt_number}.pdf").status_code == 404
    assert client.post("/penyantun/bayar/", {"members": [member.pk], "months": 1}).status_code == 302
    assert PaymentOrder.objects.count() == 1
    assert list(receipts_for_payer(viewer=organisation.user)) == []
    # The other sponsor sees its own receipt on its dashboard.
    client.force_login(citizen.user)
    html = client.get("/penyantun/").content.decode()
    assert payment.receipt_number in html and f"/anggota/bukti-bayar/{payment.receipt_number}.pdf" in html


def test_an_organisation_registers_a_worker_pays_and_finds_the_receipt(client, organisation, registration_data):
    client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    member = sponsor_register_worker(sponsor=organisation, data=registration_data(), relationship="other")
    response = client.post("/penyantun/bayar/", {"members": [member.pk], "months": 3})
    order = PaymentOrder.objects.get()
    assert response.url == f"/anggota/bayar/{order.pk}/" and order.payer == organisation.user
    payment = confirm(order).payment
    html = client.get("/penyantun/").content.decode()
    assert member.kpj in html and payment.receipt_number in html
    assert client.get(f"/anggota/bukti-bayar/{payment.receipt_number}/").status_code == 200
    assert client.get(f"/anggota/bukti-bayar/{payment.receipt_number}.pdf")["Content-Type"] == "application/pdf"


def test_receipts_newest_first_ten_a_page(client, organisation, reference_data):
    member = member_make()
    payments = []
    for _ in range(12):
        order = payment_order_create_for_many(items=[(member, 1)], payer=organisation.user)
        payments.append(confirm(order).payment)
    assert list(receipts_for_payer(viewer=organisation.user)) == payments[::-1]
    assert receipts_for_payer(viewer=organisation.user)[0].member_count == 1
    client.force_login(organisation.user)
    first = client.get("/penyantun/").content.decode()
    second = client.get("/penyantun/?page=2").content.decode()
    assert all(p.receipt_number in first for p in payments[2:])
    assert all(p.receipt_number not in first for p in payments[:2])
    assert all(p.receipt_number in second for p in payments[:2])
    assert first.index(payments[-1].receipt_number) < first.index(payments[2].receipt_number)
    assert "?page=2#receipts" in first


def test_an_organisation_is_sent_from_the_self_registration_steps_to_its_sponsor_page(client, organisation):
    client.force_login(organisation.user)
    for url in ("/daftar/identitas/", "/daftar/alamat/", "/daftar/tinjau/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/penyantun/", url
