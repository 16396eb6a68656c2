from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import selectors, services
from core.client_ip import client_ip
from core.forms import CodeForm, PhoneForm
from core.holidays import holiday_data_running_out
from core.jobs import job_labels
from core.models import Role
from core.notifications import is_secret, mask_recipient

SESSION_PHONE = "signin_phone"
SESSION_NEXT = "signin_next"


def home(request):
    return render(request, "core/home.html")


def _safe_next(request, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return None


def signin_phone(request, *, registering: bool = False):
    """Step 1 for everyone who signs in by phone: registering workers and returning members alike."""
    if request.user.is_authenticated:
        return redirect("core:after-login")
    next_url = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    form = PhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_PHONE, "")})
    if request.method == "POST" and form.is_valid():
        phone = str(form.cleaned_data["phone"])
        try:
            services.phone_code_request(phone=phone, ip_address=client_ip(request))
        except services.CodeRequestRefused as refused:
            if refused.retry_after and refused.retry_after < 3600 and request.session.get(SESSION_PHONE) == phone:
                messages.info(request, refused.message)
            else:
                form.add_error("phone", refused.message)
        if not form.errors:
            request.session[SESSION_PHONE] = phone
            request.session[SESSION_NEXT] = next_url or (reverse("enrollment:identity") if registering else "")
            return redirect("core:signin-code")
    return render(request, "core/signin_phone.html", {"form": form, "registering": registering, "next": next_url})


def signin_code(request):
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("core:login")
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            services.phone_code_request(phone=phone, ip_address=client_ip(request))
            messages.success(request, _("We sent a new code."))
        except services.CodeRequestRefused as refused:
            messages.error(request, refused.message)
        return redirect("core:signin-code")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.phone_code_verify(phone=phone, code=form.cleaned_data["code"])
        except services.CodeInvalid as invalid:
            form.add_error("code", invalid.message)
        else:
            try:
                user, _created = services.phone_user_get_or_create(phone=phone, language=request.LANGUAGE_CODE)
            except services.PhoneSignInRefused:
                messages.error(request, _("This number cannot sign in here. Staff sign in with a username."))
                return redirect("account_login")
            next_url = request.session.get(SESSION_NEXT)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop(SESSION_PHONE, None)
            return redirect(next_url or "core:after-login")
    return render(request, "core/signin_code.html", {"form": form, "phone": phone,
                                                     "sms_simulator": settings.SMS_SIMULATOR_ENABLED})


def developers(request):
    """A light page about the JSON API for developers: what it offers and where its reference is (the interactive
    reference is large and needs JavaScript, so it is one tap further, never from every page)."""
    return render(request, "core/developers.html")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon (permanently)."""
    return HttpResponsePermanentRedirect(static("img/icon.svg"))


HOME_COOKIE = "bpu_home"  # which of their places a person with several chose last (no personal data)
HOME_COOKIE_DAYS = 365


def _homes(user) -> list[tuple[str, str, str]]:
    """(key, label, URL name) of each place this person works in, in the order the chooser offers them: their own
    membership, the workers they pay for, their market round as an agent, the claims they filed for someone who
    died. Read through the reverse relations, so core imports no app above it."""
    homes = []
    if hasattr(user, "member"):
        homes.append(("member", _("My membership"), "enrollment:member-home"))
    if hasattr(user, "sponsor"):
        homes.append(("sponsor", _("The workers I pay for"), "sponsors:dashboard"))
    if hasattr(user, "agent"):
        homes.append(("agent", _("My work as an agent"), "agents:dashboard"))
    if user.claims.exclude(member__user=user).exists():
        homes.append(("heir", _("Claims I filed as an heir"), "claims:list"))
    return homes


@login_required
def after_login(request):
    """Each person lands where they work: staff on the staff home; someone with one place there; someone with
    several where they chose last time, else on a short chooser; someone with none in worker registration."""
    if request.user.is_portal_staff:
        return redirect("core:staff-home")
    homes = _homes(request.user)
    if not homes:
        return redirect("enrollment:identity")
    chosen = {key: name for key, _label, name in homes}.get(request.COOKIES.get(HOME_COOKIE, ""))
    if len(homes) == 1 or chosen:
        return redirect(chosen or homes[0][2])
    return redirect("core:choose-home")


@login_required
def choose_home(request):
    """The chooser for a person with several places (`?ke=<key>` goes there and remembers it in a cookie: a link,
    so it works without JavaScript)."""
    if request.user.is_portal_staff:
        return redirect("core:staff-home")
    homes = _homes(request.user)
    if not homes:
        return redirect("enrollment:identity")
    picked = {key: name for key, _label, name in homes}.get(request.GET.get("ke", ""))
    if picked:
        response = redirect(picked)
        response.set_cookie(HOME_COOKIE, request.GET["ke"], max_age=HOME_COOKIE_DAYS * 24 * 3600, httponly=True,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response
    return render(request, "core/choose_home.html", {"homes": [(key, label) for key, label, _name in homes],
                                                     "current": request.COOKIES.get(HOME_COOKIE, "")})


@require_POST
def signout(request):
    next_url = _safe_next(request, request.POST.get("next"))
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect(next_url or "core:home")


def admin_login(request, extra_context=None):
    """Replaces Django's admin sign-in form: the admin is reached through the staff sign-in (password, then TOTP),
    keeping where the person was going."""
    if request.user.is_authenticated:
        if not request.user.is_staff or not request.user.is_active:
            raise PermissionDenied
        return redirect(_safe_next(request, request.GET.get("next")) or reverse("admin:index"))
    next_url = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


def staff_required(view):
    @login_required(login_url="account_login")
    def wrapped(request, *args, **kwargs):
        if not request.user.is_portal_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def admin_required(view):
    """Pages for admins only (national figures and operations): other staff get 403."""
    @staff_required
    def wrapped(request, *args, **kwargs):
        if request.user.role != Role.ADMIN:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@staff_required
def staff_home(request):
    return render(request, "core/staff_home.html")


@staff_required
def staff_outbox(request):
    """Admins only, and even they never read a sign-in code or a confirmation or reset link here."""
    if request.user.role != Role.ADMIN:
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:40]
    page = Paginator(selectors.outbox_messages(viewer=request.user, search=query), 50).get_page(request.GET.get("page"))
    for message in page:
        message.secret = is_secret(message.purpose)
        message.recipient_masked = mask_recipient(message.recipient)
    return render(request, "core/staff_outbox.html", {"page": page, "q": query})


@admin_required
def staff_jobs(request):
    job = request.GET.get("job", "")
    labels = job_labels()
    if job not in labels:
        job = ""
    page = Paginator(selectors.job_runs(job=job), 50).get_page(request.GET.get("page"))
    for run in page:
        run.label = labels.get(run.job, run.job)
    return render(request, "core/staff_jobs.html", {
        "overview": selectors.job_overview(), "page": page, "job": job, "job_label": labels.get(job, ""),
        "holidays_end": holiday_data_running_out(today=timezone.localdate())})

