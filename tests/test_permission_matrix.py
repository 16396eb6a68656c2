"""Every URL pattern of the URL conf × every role: the answer each role gets, from the rule table below.

The list of URLs is built from `get_resolver()` (pages, API, admin, allauth), so a new URL without a rule fails
`test_every_url_has_a_rule`. Path parameters are filled with real objects of ANOTHER scope (tests/scope_world.py):
a Jakarta member, receipt, order, import and claim for South Sumatra's regional staff and Palembang's branch, another
sponsor's worker, another heir's claim. An "ok" for a role that should not see them is a leak and fails.

Outcomes: "ok" (2xx), "login" (a redirect to a sign-in page), "redirect" (any other redirect), or the status code
(400, 401, 403, 404, 405). "any" accepts every answer but a 5xx (the admin's own pages: Django's admin decides).
Routes that write are POSTed too (an empty form) by every role, with expected answers of their own.
Staff sign in as they do for real: TOTP set up and verified in the session.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.scope_world import sign_in, world_fixture

ROLES = ("anonymous", "worker", "sponsor", "organisation", "agent", "heir", "branch_staff", "supervisor", "regional",
         "admin")
STAFF = ("branch_staff", "supervisor", "regional", "admin")
NON_STAFF = ("worker", "sponsor", "organisation", "agent", "heir")


def answers(default, **roles) -> dict:
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, default) for role in ROLES}


def rule(default, *, post: dict | str | None = None, **roles) -> dict:
    """One route's expected answers: `default` for every role not named. `post`: the answers to a POST (a dict
    from answers(), or "same" as the GET), for routes that write."""
    get = answers(default, **roles)
    return {"get": get, "post": get if post == "same" else post}


def staff_only(staff_answer="ok", *, post: dict | str | None = None, **roles) -> dict:
    """A staff page: staff sign in at /akun/login/, others are refused with 403."""
    given = {"anonymous": "login", **dict.fromkeys(NON_STAFF, 403), **dict.fromkeys(STAFF, staff_answer), **roles}
    return rule(None, post=post, **given)


def admin_only(*, post: dict | str | None = None, **roles) -> dict:
    return staff_only(403, post=post, **{"admin": "ok", **roles})


def jakarta_object(*, post: dict | str | None = None, **roles) -> dict:
    """A Jakarta member's object (or another owner's): South Sumatra's regional staff, Palembang's branch and every
    non-staff role are refused with 404; admins (national) see it."""
    given = {"anonymous": "login", **dict.fromkeys(NON_STAFF, 404),
             **dict.fromkeys(("branch_staff", "supervisor", "regional"), 404), "admin": "ok", **roles}
    return rule(None, post=post, **given)


ADMIN_SITE = rule("login", admin="any")  # Django's admin: only is_staff accounts, the rest go to sign in
SIGNED_IN = {"anonymous": "login"}

RULES: dict[str, dict] = {
    # --- Django admin: everything under admin/ shares ADMIN_SITE (PREFIX_RULES) but these -------------------------
    "admin/login/": rule(403, anonymous="login", admin="any"),  # signed in but not staff: refused (core.views)
    "admin/logout/": rule("redirect", admin="any"),
    # --- public pages and the JSON API's public reads -----------------------------------------------------------
    "": rule("ok"),
    "favicon.ico": rule("redirect"),  # to the static icon
    "pengembang/": rule("ok"),  # about the API, for developers
    "kalkulator/": rule("ok"),
    "cek/<str:token>/": rule("ok"),  # the card's QR check: masked name, KPJ and status only
    "api/docs/": rule("ok"),
    "api/schema/": rule("ok"),
    "api/v1/regions/": rule("ok"),
    "api/v1/occupations/": rule("ok"),
    "api/v1/income-bases/": rule("ok"),
    "api/v1/tariffs/quote": rule(400),  # no income given
    "api/v1/auth/code/request/": rule(405),
    "api/v1/auth/code/verify/": rule(405),
    "api/v1/auth/logout/": rule(401),  # API tokens only, never the session
    "api/v1/auth/logout-all/": rule(401),
    "api/v1/registrations/": rule(405, anonymous=401),
    "api/v1/members/me/": rule(404, anonymous=401, worker="ok"),
    "api/v1/members/me/claim/": rule(405, anonymous=401, post=answers(400, anonymous=401)),  # NIK + birth date
    "api/v1/payments/webhooks/simulator/": rule(405),  # signed POSTs from the provider
    "api/v1/payments/webhooks/simulator/debit/": rule(405),
    "api/v1/notifications/receipts/": rule(405),  # signed POSTs from the SMS gateway
    "api/v1/partner/members/": rule(401),  # partner API keys only
    "api/v1/partner/members/<str:kpj>/": rule(401, post="same"),
    "api/v1/partner/payments/": rule(401),
    "api/v1/claims/": rule("ok", anonymous=401, regional=403),  # own claims, or the branch's; no branch: 403
    "api/v1/claims/<str:number>/": jakarta_object(anonymous=401, post=answers(405, anonymous=401)),
    "api/v1/claims/<str:number>/documents/<str:document_id>/": jakarta_object(
        anonymous=401, post=answers(405, anonymous=401)),
    "simulator/": rule("ok"),  # the payment simulator (404 unless PAYMENT_SIMULATOR_ENABLED)
    "simulator/bayar/": rule(405),
    "simulator/sms/": rule("ok"),  # the SMS gateway simulator
    "simulator/sms/api/v1/messages": rule(405),
    "penyantun/impor/templat.csv": rule("ok"),
    # --- phone sign-in and registration ---------------------------------------------------------------------------
    "masuk/": rule("login", anonymous="ok"),  # signed in: on to where they belong
    "masuk/kode/": rule("login"),
    "masuk/lanjut/": rule("redirect", anonymous="login"),
    "masuk/pilih/": rule("ok", anonymous="login", **dict.fromkeys(STAFF, "redirect")),  # one place or several
    "keluar/": rule(405),  # POST only
    "daftar/": rule("redirect", anonymous="ok"),
    "daftar/identitas/": rule("redirect", anonymous="login", sponsor="ok", agent="ok", heir="ok"),
    "daftar/alamat/": rule("redirect", anonymous="login"),
    "daftar/iuran/": rule("redirect", anonymous="login"),
    "daftar/tinjau/": rule("redirect", anonymous="login"),
    # --- a member's own pages (the worker has a membership; nobody else's is reachable) -----------------------
    "anggota/": rule("redirect", anonymous="login", worker="ok"),
    "anggota/iuran/": rule(404, anonymous="login", worker="ok"),
    "anggota/bayar/": rule(404, anonymous="login", worker="ok", post="same"),
    "anggota/kartu/": rule(404, anonymous="login", worker="ok"),
    "anggota/kartu.pdf": rule(404, anonymous="login", worker="ok"),
    "anggota/pesan/": rule(404, anonymous="login", worker="ok", post="same"),
    "anggota/penyantun/": rule(404, anonymous="login", worker="ok",
                               post=answers(404, anonymous="login")),  # a POST names a sponsorship of theirs
    "anggota/debit-otomatis/": rule(404, anonymous="login", worker="ok"),
    "anggota/debit-otomatis/atur/": rule(404, anonymous="login", worker="ok", post="same"),
    "anggota/klaim/": rule("ok", anonymous="login", worker="redirect"),
    "anggota/aktifkan-kembali/": rule(405, anonymous="login",
                                      post=answers(404, anonymous="login", worker="redirect")),  # not lapsed
    # Another member's order, receipt and auto-debit: Jakarta's, paid by someone else.
    "anggota/bayar/<int:order_id>/": jakarta_object(post="same"),
    "anggota/bukti-bayar/<str:receipt_number>/": jakarta_object(),
    "anggota/bukti-bayar/<str:receipt_number>.pdf": jakarta_object(),
    "anggota/debit-otomatis/<int:mandate_id>/cabut/": rule(405, anonymous="login",
                                                            post=answers(404, anonymous="login")),  # payer only
    # --- sponsors (citizens and organisations) and their imports ---------------------------------------------------
    "penyantun/": rule("ok", anonymous="login"),  # a non-sponsor is invited to become one
    "penyantun/daftarkan/": rule("redirect", anonymous="login", sponsor="ok", organisation="ok", post="same"),
    "penyantun/pesan/": rule("redirect", anonymous="login", sponsor="ok", organisation="ok", post="same"),
    "penyantun/bayar/": rule(405, anonymous="login",
                             post=answers(404, anonymous="login", sponsor="redirect", organisation="redirect")),
    "penyantun/pekerja/<int:member_id>/debit-otomatis/": rule(404, anonymous="login"),  # another sponsor's worker
    "penyantun/pekerja/<int:member_id>/debit-otomatis/atur/": rule(404, anonymous="login", post="same"),
    "penyantun/impor/": rule(404, anonymous="login", sponsor="ok", organisation="ok", post="same"),
    # A Jakarta organisation's import: staff of another region do not see it; nobody but its sponsor confirms it.
    "penyantun/impor/<int:import_id>/": jakarta_object(post="same"),
    "penyantun/impor/<int:import_id>/laporan.csv": jakarta_object(),
    "penyantun/impor/<int:import_id>/daftarkan/": rule(405, anonymous="login",
                                                        post=answers(404, anonymous="login", admin=403)),
    "penyantun/impor/<int:import_id>/ulangi/": rule(405, anonymous="login", post=answers(404, anonymous="login")),
    "penyantun/organisasi/daftar/": rule("login", anonymous="ok"),
    "penyantun/organisasi/masuk/": rule("login", anonymous="ok"),
    "penyantun/organisasi/cek-email/": rule("ok"),
    "^penyantun/organisasi/konfirmasi/(?P<key>[-:\\w]+)/$": rule("ok"),  # a wrong key: a page saying so
    "penyantun/organisasi/lupa-kata-sandi/": rule("ok"),
    "penyantun/organisasi/lupa-kata-sandi/terkirim/": rule("ok"),
    "^penyantun/organisasi/kata-sandi-baru/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": rule("ok"),
    "penyantun/organisasi/kata-sandi-baru/selesai/": rule("ok"),
    # --- agents -----------------------------------------------------------------------------------------------------
    "agen/": rule(403, anonymous="login", agent="ok", post="same"),
    "agen/daftarkan/": rule(403, anonymous="login", agent="ok", post="same"),
    "agen/tunai/": rule(403, anonymous="login", agent="ok", post="same"),
    "agen/setor/": rule(403, anonymous="login", agent="ok", post="same"),
    # --- claims: a claimant's own; another heir's Jakarta claim for everyone else -------------------------------
    "klaim/": rule("ok", anonymous="login"),
    "klaim/ajukan/": rule("redirect", anonymous="login", worker="ok", post="same"),
    "klaim/ahli-waris/": rule("ok", anonymous="login", **dict.fromkeys(STAFF, 403), post="same"),  # staff: no claims
    "klaim/ahli-waris/data/": rule("redirect", anonymous="login"),
    "klaim/<str:number>/": rule(404, anonymous="login"),
    "klaim/<str:number>/dokumen/": rule(405, anonymous="login", post=answers(404, anonymous="login")),
    "klaim/<str:number>/dokumen/<int:document_id>/": jakarta_object(),
    "klaim/<str:number>/beasiswa/": rule(405, anonymous="login", post=answers(404, anonymous="login")),
    # --- staff ----------------------------------------------------------------------------------------------------
    "staf/": staff_only(),
    "staf/peserta/": staff_only(post="same"),  # the search: members outside the scope are not found
    "staf/impor/": staff_only(post="same"),  # the list holds only imports inside the scope
    "staf/aturan/": staff_only(),  # the rules' figures and sources: reference data, the same for all staff
    "staf/klaim/": staff_only(regional="redirect"),  # regional staff have no branch, so no queue
    "staf/klaim/<int:pk>/": staff_only(404, admin="ok", post=staff_only(404)["get"]),  # admins read, branches act
    "staf/klaim/<int:pk>/dokumen/<int:document_id>/": staff_only(404, admin="ok"),
    "staf/klaim/<int:pk>/beasiswa/": staff_only(405, post=staff_only(404)["get"]),  # a POST names a school year
    "staf/dasbor/": admin_only(regional="redirect"),  # regional staff go to their region's page
    "^staf/dasbor/ekspor\\.(?P<fmt>csv|xlsx)$": admin_only(regional="redirect"),
    "^staf/dasbor/(?P<code>\\d{2}(?:\\.\\d{2})?)/$": admin_only(),  # Jakarta's: not South Sumatra's staff
    "^staf/dasbor/(?P<code>\\d{2}(?:\\.\\d{2})?)/ekspor\\.(?P<fmt>csv|xlsx)$": admin_only(),
    "staf/rekonsiliasi/": admin_only(post="same"),  # the national book: admins only (decisions.md)
    "staf/tugas/": admin_only(post="same"),  # job runs and their tracebacks: admins only
    "staf/kotak-keluar/": admin_only(post="same"),  # the outbox: admins only
    "staf/target/": admin_only(),
    "staf/target/templat-target.csv": admin_only(),
    "staf/target/templat-tenaga-kerja.csv": admin_only(),
    "staf/target/unggah/<slug:kind>/": admin_only(admin=405, post=answers(403, anonymous="login", admin=400)),
    # --- allauth: staff and organisation sign-in ------------------------------------------------------------------
    "akun/login/": rule("login", anonymous="ok"),
    "akun/logout/": rule("ok", anonymous="redirect"),
    "akun/inactive/": rule("ok"),
    "akun/signup/": rule("login", anonymous="ok"),  # closed to all but organisations (their own page)
    "akun/reauthenticate/": rule("ok", **SIGNED_IN),
    "akun/email/": rule("ok", **SIGNED_IN),
    "akun/confirm-email/": rule("ok"),
    "akun/password/change/": rule("ok", **SIGNED_IN),
    "akun/password/set/": rule("redirect", **SIGNED_IN),
    "akun/password/reset/": rule("ok"),
    "akun/password/reset/done/": rule("ok"),
    "akun/password/reset/key/done/": rule("ok"),
    "akun/login/code/confirm/": rule("login"),
    "akun/^confirm-email/(?P<key>[-:\\w]+)/$": rule("ok"),
    "akun/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": rule("ok"),
    "akun/2fa/": rule("ok", **SIGNED_IN),
    "akun/2fa/authenticate/": rule("login"),
    "akun/2fa/reauthenticate/": rule("redirect", anonymous="login", **dict.fromkeys(STAFF, "ok")),
    "akun/2fa/totp/activate/": rule("redirect", **SIGNED_IN),
    "akun/2fa/totp/deactivate/": rule(404, anonymous="login", **dict.fromkeys(STAFF, "redirect")),
    "akun/2fa/recovery-codes/": rule(404, **SIGNED_IN),
    "akun/2fa/recovery-codes/generate/": rule("redirect", **SIGNED_IN),
    "akun/2fa/recovery-codes/download/": rule(404, **SIGNED_IN),
    "i18n/setlang/": rule("redirect"),
}

# Routes that share one rule by prefix: the admin site guards every one of its URLs itself.
PREFIX_RULES = {"admin/": ADMIN_SITE}


# --- the URL conf -------------------------------------------------------------------------------------------------


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def url_patterns() -> dict[str, object]:
    return dict(_walk(get_resolver().url_patterns))


def rule_for(route: str) -> dict | None:
    if route in RULES:
        return RULES[route]
    return next((r for prefix, r in PREFIX_RULES.items() if route.startswith(prefix)), None)


def test_every_url_has_a_rule():
    missing = sorted(route for route in url_patterns() if rule_for(route) is None)
    assert not missing, "new URL without a rule in tests/test_permission_matrix.py: " + ", ".join(missing)
    stale = sorted(set(RULES) - set(url_patterns()))
    assert not stale, "rules for URLs that no longer exist: " + ", ".join(stale)


# --- filling a route with objects of another scope ---------------------------------------------------------------


def _values(world) -> dict[str, str]:
    o = world.objects
    return {
        "order_id": o["jakarta_order"].pk, "receipt_number": o["jakarta_payment"].receipt_number,
        "mandate_id": o["jakarta_mandate"].pk, "member_id": o["jakarta_member"].pk,
        "import_id": o["jakarta_import"].pk, "number": o["jakarta_claim"].number,
        "document_id": o["jakarta_document"].pk, "pk": o["jakarta_claim"].pk, "token": o["jakarta_member"].card_token,
        "kpj": o["jakarta_member"].kpj, "key": "bm90LWEta2V5", "uidb36": "1z", "fmt": "csv", "code": "31",
        "kind": "target", "app_label": "enrollment", "url": "tidak-ada/",
    }


_PATH_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _fill_regex_groups(route: str, values: dict) -> str:
    """Replaces each named group `(?P<name>…)` (which may hold groups of its own) by its value."""
    out, i = [], 0
    while (start := route.find("(?P<", i)) != -1:
        name = route[start + 4:route.index(">", start)]
        depth, j = 0, start
        while True:
            depth += {"(": 1, ")": -1}.get(route[j], 0) if route[j - 1:j] != "\\" else 0
            if depth == 0:
                break
            j += 1
        out += [route[i:start], str(values[name])]
        i = j + 1
    return "".join(out) + route[i:]


def _admin_object_id(route: str) -> str:
    """The pk of an existing row for admin/<app>/<model>/<id>/… routes (any row: the admin site decides)."""
    from django.apps import apps

    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match:
        try:
            model = apps.get_model(match.group(1), match.group(2))
        except LookupError:
            return "1"
        pk = model._default_manager.values_list("pk", flat=True).first()
        return str(pk) if pk is not None else "1"
    return "1"


def fill(route: str, world) -> str:
    values = _values(world)
    if route.startswith("admin/"):
        values["object_id"] = values["id"] = _admin_object_id(route)
        values["content_type_id"] = "1"
    path = _PATH_PARAM.sub(lambda m: str(values[m.group(1)]), _fill_regex_groups(route, values))
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_fixture(django_db_blocker)


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    with django_db_blocker.unblock():
        made = {"anonymous": Client()}
        for role in ROLES[1:]:
            made[role] = Client()
            sign_in(made[role], world.users[role])
        return made


def outcome(response):
    if 200 <= response.status_code < 300:
        return "ok"
    if response.status_code in (301, 302, 303, 307, 308):
        target = response["Location"]
        if target.startswith(("/akun/login/", "/masuk/", "/admin/login/", "/penyantun/organisasi/masuk/")):
            return "login"
        return "redirect"
    return response.status_code


def _matches(expected, got) -> bool:
    if expected == "any":
        return not (isinstance(got, int) and got >= 500)
    return expected == got


# --- the matrix ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(url_patterns()))
def test_each_role_gets_the_expected_answer(route, world, clients):
    expected = rule_for(route)
    if expected is None:
        pytest.fail(f"new URL without a rule: {route}")
    path = fill(route, world)
    wrong = []
    for role in ROLES:
        got = outcome(clients[role].get(path))
        if not _matches(expected["get"][role], got):
            wrong.append(f"GET {role}: expected {expected['get'][role]!r}, got {got!r}")
        if expected["post"]:
            got = outcome(clients[role].post(path, {}))
            if not _matches(expected["post"][role], got):
                wrong.append(f"POST {role}: expected {expected['post'][role]!r}, got {got!r}")
    assert not wrong, f"{path}:\n  " + "\n  ".join(wrong)


def test_fill_names_real_objects(world):
    """The filled paths reach the objects (the same path as reverse() gives)."""
    o = world.objects
    assert fill("anggota/bukti-bayar/<str:receipt_number>/", world) == reverse(
        "contributions:receipt", args=[o["jakarta_payment"].receipt_number])
    assert fill("^staf/dasbor/(?P<code>\\d{2}(?:\\.\\d{2})?)/$", world) == "/staf/dasbor/31/"
