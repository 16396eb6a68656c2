import pytest
from django.test import override_settings
from django.urls import reverse

from core.models import OutboxMessage, PhoneCode, User
from core.services import notification_enqueue
from tests.core.helpers import field_block, field_errors, last_code, staff_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "+6281234567890"
ACTIVATE_TOTP = "/akun/2fa/totp/activate/"


def _request_code(client, phone="0812 3456 7890", url="/masuk/"):
    response = client.post(url, {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/masuk/kode/"
    return response


# --- phone sign-in ---------------------------------------------------------------------------------------


def test_phone_form_renders(client):
    response = client.get("/masuk/")
    assert response.status_code == 200
    assert 'name="phone"' in response.content.decode()


@pytest.mark.parametrize(
    "typed, message",
    [
        ("12345", "Please enter an Indonesian mobile number, for example 0812 3456 7890."),
        ("021 5551234", "Please enter an Indonesian mobile number that can receive SMS."),  # Jakarta landline
        ("+44 7911 123456", "Please enter an Indonesian mobile number that can receive SMS."),
        ("", "Please enter your mobile number: we send the sign-in code to it."),
    ],
)
def test_bad_phone_shows_error_next_to_field_and_keeps_value(client, typed, message):
    response = client.post("/masuk/", {"phone": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in field_errors(html, "phone")
    assert (f'value="{typed}"' in field_block(html, "phone")) if typed else ("value=" not in field_block(html, "phone"))
    assert 'aria-invalid="true"' in field_block(html, "phone")
    assert not PhoneCode.objects.exists()


def test_good_phone_sends_code_and_goes_to_code_step(client):
    _request_code(client)
    assert PhoneCode.objects.filter(phone=PHONE).count() == 1
    assert OutboxMessage.objects.filter(recipient=PHONE, purpose="otp").count() == 1
    response = client.get("/masuk/kode/")
    assert response.status_code == 200
    assert "0812-3456-7890" in response.content.decode()  # shown the way people write their number


def test_code_step_without_phone_goes_back(client):
    response = client.get("/masuk/kode/")
    assert response.status_code == 302 and response["Location"] == "/masuk/"


def test_new_phone_signs_in_and_goes_to_registration(client):
    _request_code(client)
    response = client.post("/masuk/kode/", {"code": last_code(PHONE), "action": "verify"}, follow=True)
    assert response.redirect_chain[-1][0] == "/daftar/identitas/"
    user = User.objects.get(phone=PHONE)
    assert response.wsgi_request.user == user
    assert "signin_phone" not in client.session


def test_registering_goes_straight_to_identity(client):
    _request_code(client, url="/daftar/")
    response = client.post("/masuk/kode/", {"code": last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/daftar/identitas/"


def test_registered_member_signs_in_to_member_home(client, registration_data, worker_user):
    from enrollment.services import member_register

    member_register(data=registration_data(), user=worker_user, actor=worker_user)
    _request_code(client)
    response = client.post("/masuk/kode/", {"code": last_code(PHONE)}, follow=True)
    assert response.redirect_chain[-1][0] == "/anggota/"
    assert response.status_code == 200
    assert User.objects.count() == 1


def test_safe_next_is_followed_and_unsafe_next_ignored(client):
    client.post("/masuk/?next=/anggota/kartu/", {"phone": "081234567890"})
    response = client.post("/masuk/kode/", {"code": last_code(PHONE)})
    assert response["Location"] == "/anggota/kartu/"

    other = client.__class__()
    other.cookies["bpu_lang"] = "en"
    other.post("/masuk/?next=https://evil.example/", {"phone": "085712345678"})
    response = other.post("/masuk/kode/", {"code": last_code("+6285712345678")})
    assert response["Location"] == "/masuk/lanjut/"


def test_wrong_code_shows_error_and_tries_left(client):
    _request_code(client)
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/masuk/kode/", {"code": wrong})
    assert response.status_code == 200
    assert "You have 4 tries left." in field_errors(response.content.decode(), "code")
    assert "_auth_user_id" not in client.session
    response = client.post("/masuk/kode/", {"code": wrong})
    assert "You have 3 tries left." in field_errors(response.content.decode(), "code")


@pytest.mark.parametrize(
    "typed, message", [("12ab56", "The code has only digits."), ("123", "The code has 6 digits."), ("", "6-digit")]
)
def test_malformed_code(client, typed, message):
    _request_code(client)
    response = client.post("/masuk/kode/", {"code": typed})
    assert message in field_errors(response.content.decode(), "code")
    assert PhoneCode.objects.get().attempts == 0


def test_resend_too_soon_shows_message(client):
    _request_code(client)
    response = client.post("/masuk/kode/", {"action": "resend"}, follow=True)
    assert "A code was just sent" in response.content.decode()
    assert PhoneCode.objects.count() == 1


@override_settings(OTP_RESEND_AFTER_SECONDS=0)
def test_resend_sends_new_code(client):
    _request_code(client)
    response = client.post("/masuk/kode/", {"action": "resend"}, follow=True)
    assert "We sent a new code." in response.content.decode()
    assert PhoneCode.objects.count() == 2


@override_settings(OTP_RESEND_AFTER_SECONDS=0, OTP_REQUESTS_PER_PHONE_PER_HOUR=1)
def test_rate_limit_is_shown_next_to_phone_field(client):
    _request_code(client)
    other = client.__class__()
    other.cookies["bpu_lang"] = "en"
    response = other.post("/masuk/", {"phone": "081234567890"})
    assert response.status_code == 200
    assert "Too many codes were requested" in field_errors(response.content.decode(), "phone")


def test_signed_in_user_skips_phone_form(client, worker_user):
    client.force_login(worker_user)
    response = client.get("/masuk/")
    assert response.status_code == 302 and response["Location"] == "/masuk/lanjut/"


def test_signout(client, worker_user):
    client.force_login(worker_user)
    response = client.post("/keluar/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_signout_follows_safe_next_only(client, worker_user):
    client.force_login(worker_user)
    assert client.post("/keluar/", {"next": "/masuk/"})["Location"] == "/masuk/"
    client.force_login(worker_user)
    assert client.post("/keluar/", {"next": "https://evil.example/"})["Location"] == "/"
    assert client.get("/keluar/").status_code == 405


@pytest.mark.parametrize("kind", ["portal_staff", "django_staff", "inactive"])
def test_staff_phone_cannot_sign_in_by_code(client, kind):
    user = User.objects.create(username="staf-hp", phone=PHONE, role="branch_staff" if kind == "portal_staff" else
                               "worker", is_staff=kind == "django_staff", is_active=kind != "inactive")
    _request_code(client)
    response = client.post("/masuk/kode/", {"code": last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/akun/login/"
    assert "_auth_user_id" not in client.session
    assert User.objects.get() == user


# --- staff outbox ----------------------------------------------------------------------------------------


def _staff(role="branch_staff", username="staf1"):
    return User.objects.create(username=username, role=role)


def test_outbox_needs_sign_in(client):
    response = client.get("/staf/kotak-keluar/")
    assert response.status_code == 302
    assert response["Location"] == "/akun/login/?next=/staf/kotak-keluar/"  # staff sign in with a password


def test_outbox_is_forbidden_for_workers(client, worker_user):
    client.force_login(worker_user)
    assert client.get("/staf/kotak-keluar/").status_code == 403


@pytest.mark.parametrize("role", ["admin", "supervisor", "branch_staff"])
def test_staff_without_totp_must_activate_it(client, role):
    client.force_login(_staff(role=role))
    for url in ("/staf/kotak-keluar/", "/staf/", "/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp") == ACTIVATE_TOTP


def test_staff_signed_in_with_password_can_open_totp_activation(client):
    staff = _staff(role="admin")
    staff.set_password("a-long-staff-passphrase")
    staff.save()
    response = client.post("/akun/login/", {"login": staff.username, "password": "a-long-staff-passphrase"})
    assert response.status_code == 302
    assert response.wsgi_request.user == staff
    # allauth asks for the password again before MFA changes; those /akun/ pages are not blocked.
    response = client.get(ACTIVATE_TOTP, follow=True)
    assert response.status_code == 200
    response = client.post("/akun/reauthenticate/?next=" + ACTIVATE_TOTP, {"password": "a-long-staff-passphrase"})
    assert response.status_code == 302 and response["Location"] == ACTIVATE_TOTP
    response = client.get(ACTIVATE_TOTP)
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    assert client.get("/staf/")["Location"] == ACTIVATE_TOTP  # still no authenticator


@pytest.mark.parametrize("role", ["supervisor", "branch_staff"])
def test_outbox_is_forbidden_for_staff_other_than_admins(client, role):
    staff = _staff(role=role)
    notification_enqueue(channel="sms", recipient="+6282222222222", body="123456 adalah kode", purpose="otp")
    staff_login(client, staff)
    response = client.get("/staf/kotak-keluar/")
    assert response.status_code == 403
    assert "123456" not in response.content.decode()
    assert "/staf/kotak-keluar/" not in client.get("/staf/").content.decode()  # not offered either


def test_admin_sees_the_outbox_without_codes_or_links(client, django_capture_on_commit_callbacks):
    staff = _staff(role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        notification_enqueue(channel="sms", recipient="+6281111111111", body="Iuran Mei diterima", purpose="receipt")
        notification_enqueue(channel="sms", recipient="+6282222222222", body="123456 adalah kode", purpose="otp")
        notification_enqueue(channel="email", recipient="ani@example.com", subject="Atur ulang",
                             body="http://testserver/penyantun/organisasi/lupa-kata-sandi/kunci/3-abc-def/",
                             purpose="password_reset_key")
    staff_login(client, staff)
    response = client.get("/staf/kotak-keluar/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Iuran Mei diterima" in html  # an ordinary message stays readable for support
    assert "123456" not in html and "kunci/3-abc-def" not in html
    assert html.count("(content hidden: it lets the recipient sign in)") == 2
    assert "+6282222222222" not in html and "+62822•••••222" in html and "a•••@example.com" in html
    assert "otp" in html and "password_reset_key" in html
    assert "/staf/kotak-keluar/" in client.get("/staf/").content.decode()


def test_outbox_search_finds_a_recipient_by_any_spelling(client):
    staff = _staff(role="admin")
    notification_enqueue(channel="sms", recipient="+6281111111111", body="Iuran Mei diterima", purpose="receipt")
    notification_enqueue(channel="sms", recipient="+6282222222222", body="654321 adalah kode", purpose="otp")
    staff_login(client, staff)
    html = client.get("/staf/kotak-keluar/", {"q": "0811 1111 1111"}).content.decode()
    assert "Iuran Mei diterima" in html and "+62822" not in html
    with override_settings(DEBUG=True):  # not even with DEBUG: the console is where a developer reads codes
        html = client.get("/staf/kotak-keluar/").content.decode()
    assert "654321" not in html


def test_outbox_selector_gives_non_admins_nothing(worker_user):
    from core.selectors import outbox_messages

    notification_enqueue(channel="sms", recipient="+6281111111111", body="Iuran Mei diterima", purpose="receipt")
    assert outbox_messages(viewer=_staff(role="admin")).count() == 1
    for role in ("supervisor", "branch_staff"):
        assert not outbox_messages(viewer=_staff(role=role, username=role)).exists()
    assert not outbox_messages(viewer=worker_user).exists()


# --- language --------------------------------------------------------------------------------------------


def test_language_switch_changes_texts(client):
    del client.cookies["bpu_lang"]  # Indonesian is the default
    html = client.get("/").content.decode()
    assert '<html lang="id">' in html
    assert "Perlindungan untuk pekerja informal" in html
    assert "Protection for informal workers" not in html
    assert "Rp16.800" in html

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["bpu_lang"].value == "en"

    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Protection for informal workers" in html
    assert "Perlindungan untuk pekerja informal" not in html
    assert "Rp16,800" in html
    assert "Rp16.800" not in html

    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get("/").content.decode()
    assert "Rp16.800" in html and "Perlindungan untuk pekerja informal" in html


def test_indonesian_messages_by_default(client):
    del client.cookies["bpu_lang"]
    html = client.post("/masuk/", {"phone": "12345"}).content.decode()
    assert "Mohon isi nomor HP Indonesia" in field_errors(html, "phone")


def test_outbox_shows_held_messages_and_their_fallback(client):
    import datetime as dt

    from django.utils import timezone

    from core.models import OutboxMessage

    staff = _staff(role="admin")
    morning = timezone.now() + dt.timedelta(hours=5)
    OutboxMessage.objects.create(channel="whatsapp", recipient="+6281111111111", body="Iuran Desember", purpose=
                                 "reminder.due_soon", next_attempt_at=morning, fallback_channel="sms",
                                 fallback_recipient="+6281111111111")
    staff_login(client, staff)
    html = client.get("/staf/kotak-keluar/").content.decode()
    assert "reminder.due_soon" in html
    assert f"Waits until {timezone.localtime(morning):%d %b %Y %H:%M} (quiet hours or a retry)." in html
    assert "By SMS if this fails." in html
