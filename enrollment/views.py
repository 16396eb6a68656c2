from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from contributions.selectors import coverage_status, paid_ahead
from core.nik import nik_blind_index
from core.views import client_ip, signin_phone
from enrollment import forms, wizard
from enrollment.services import member_register
from members.card import card_pdf
from members.models import Member, Occupation
from members.selectors import (
    member_claimable_exists,
    member_for_user,
    member_monthly_quote,
    registration_quote,
    sponsorships_for_member,
)
from members.services import (
    ClaimRefused,
    RegistrationData,
    identity_check_allow,
    member_claim,
    member_message_preferences_update,
)
from reference.models import Ecosystem
from reference.selectors import region_get, region_path

RECHECK = "registration_recheck"
BACK_TO_REVIEW = "registration_back_to_review"  # the step opened from "Change" on the review step
CHECKED = "registration_nik_checked"  # blind indexes of the NIKs this session already counted against the limits


def register_start(request):
    if request.user.is_authenticated:
        if hasattr(request.user, "member"):
            messages.info(request, _("You are already registered. Here is your membership."))
            return redirect("enrollment:member-home")
        return redirect("enrollment:identity")
    return signin_phone(request, registering=True)


def _registration_guard(request, step_name):
    if hasattr(request.user, "member"):
        messages.info(request, _("You are already registered. Here is your membership."))
        return redirect("enrollment:member-home")
    if not request.user.phone:  # an organisation's email account: it registers workers, not itself
        messages.info(request, _("Organisations register workers from their sponsor page."))
        return redirect("sponsors:dashboard")
    missing = wizard.first_incomplete(request.session, step_name)
    if missing is not None:
        if wizard.answers(request.session, missing.name):
            # Answers that were fine before and are not now (e.g. the NIK got registered meanwhile): show why.
            request.session[RECHECK] = missing.name
            messages.error(request, _("Please check this step again."))
        return redirect(missing.url_name)
    return None


def _identity_check_allowed(request) -> bool:
    """A NIK typed on the identity step is looked up (is it registered?) only within the limits per session, phone
    and IP. Answers are stored only after this, so later steps re-check only NIKs that were counted."""
    digits = "".join(ch for ch in request.POST.get("nik", "") if ch.isdigit())
    if len(digits) != 16:
        return True  # the form refuses it before any look-up
    index = nik_blind_index(digits)
    checked = request.session.get(CHECKED, [])
    if index in checked:
        return True
    if not identity_check_allow(session_key=request.session.session_key or "",
                                         phone=str(request.user.phone), ip_address=client_ip(request)):
        return False
    request.session[CHECKED] = [*checked[-2:], index]
    return True


def _step(request, step_name, template, extra=None):
    guard = _registration_guard(request, step_name)
    if guard:
        return guard
    step = wizard.STEP_BY_NAME[step_name]
    previous, following = wizard.neighbours(step_name)
    action = request.POST.get("action", "next")
    refusal = None
    if request.method == "POST" and step_name == "identity" and not _identity_check_allowed(request):
        form = step.form_class(initial=request.POST.dict())  # nothing typed is lost; nothing is looked up
        refusal = _("You have checked many NIKs in a short time. To protect everyone's data, please try again in "
                    "an hour.")
    elif request.method == "POST" and action in ("back", "refresh"):
        wizard.save_answers(request.session, step_name, request.POST)
        if action == "back" and previous:
            return redirect(previous.url_name)
        form = step.form_class(initial=wizard.answers(request.session, step_name))
    elif request.method == "POST":
        wizard.save_answers(request.session, step_name, request.POST)
        form = step.form_class(data=request.POST)
        if form.is_valid():
            for warning in getattr(form, "warnings", []):
                messages.warning(request, warning)
            if request.session.pop(BACK_TO_REVIEW, None) == step_name:  # came from "Change" on the review step
                return redirect("enrollment:review")
            return redirect(cast(wizard.Step, following).url_name)  # the review step has a view of its own
        if getattr(form, "nik_registered", False) and member_claimable_exists(
                user=request.user, nik=form.cleaned_data.get("nik") or request.POST.get("nik", "")):
            # Someone registered this NIK with this phone number for its owner: claiming it is the way in.
            messages.info(request, _("This NIK was registered for you with this phone number by someone else (a "
                                     "sponsor, agent or employer). Confirm your date of birth to see your "
                                     "membership."))
            return redirect("enrollment:claim")
    elif request.GET.get("kembali") == "tinjau":  # "Change" on the review step: come back there once saved
        request.session[BACK_TO_REVIEW] = step_name
        form = step.form_class(initial=wizard.answers(request.session, step_name))
    elif request.session.pop(RECHECK, None) == step_name:
        form = wizard.bound_form(request.session, step_name)
        form.is_valid()
    else:
        form = step.form_class(initial=wizard.answers(request.session, step_name))
    context = {"form": form, "step_number": wizard.STEPS.index(step) + 2, "step_total": len(wizard.STEPS) + 1,
               "previous": previous, "refusal": refusal}
    context.update(extra(request) if extra else {})
    return render(request, template, context)


@sensitive_post_parameters("nik")
@login_required
def identity(request):
    return _step(request, "identity", "enrollment/step_identity.html",
                 extra=lambda r: {"claim_waiting": member_claimable_exists(user=r.user)})


@sensitive_post_parameters("nik")
@login_required
def claim(request):
    """A worker someone else registered takes the membership into the account of the phone it was registered with:
    signed in by a code to that phone, they confirm the NIK and date of birth (member_claim)."""
    if hasattr(request.user, "member"):
        messages.info(request, _("You are already registered. Here is your membership."))
        return redirect("enrollment:member-home")
    typed = wizard.answers(request.session, "identity")
    form = forms.ClaimForm(request.POST or None, initial={k: typed.get(k, "") for k in ("nik", "birth_date")})
    if request.method == "POST" and form.is_valid():
        try:
            member = member_claim(user=request.user, nik=form.cleaned_data["nik"],
                                           birth_date=form.cleaned_data["birth_date"],
                                           ip_address=client_ip(request))
        except ClaimRefused as refused:
            form.add_error(None, refused.message)
        else:
            wizard.clear(request.session)
            messages.success(request, _("Your membership is now in your account. Your participant number (KPJ) is "
                                        "%(kpj)s.") % {"kpj": member.kpj})
            return redirect("enrollment:member-home")
    return render(request, "enrollment/claim.html", {
        "form": form, "waiting": member_claimable_exists(user=request.user)})


@login_required
def address(request):
    return _step(request, "address", "enrollment/step_address.html")


@login_required
def contribution(request):
    return _step(request, "contribution", "enrollment/step_contribution.html")


def _collect(request) -> RegistrationData:
    identity_form = wizard.bound_form(request.session, "identity")
    address_form = wizard.bound_form(request.session, "address")
    contribution_form = wizard.bound_form(request.session, "contribution")
    for form in (identity_form, address_form, contribution_form):
        form.is_valid()
    ident, addr, contrib = identity_form.cleaned_data, address_form.cleaned_data, contribution_form.cleaned_data
    return RegistrationData(
        nik=ident["nik"],
        full_name=ident["full_name"],
        birth_place=ident["birth_place"],
        birth_date=ident["birth_date"],
        gender=ident["gender"],
        phone=str(request.user.phone),
        village_code=addr["village"],
        address_line=addr["address_line"],
        occupation_code=addr["occupation"],
        income_base_idr=contrib["income_base_idr"],
        programs=["JKK", "JKM"] + (["JHT"] if contrib["jht"] else []),
        consent=False,
        ecosystem=addr.get("ecosystem") or "",
    )


@login_required
def review(request):
    guard = _registration_guard(request, "review")
    if guard:
        return guard
    data = _collect(request)
    occupation = Occupation.objects.get(code=data.occupation_code)
    village = region_get(code=data.village_code)
    quote = registration_quote(data=data, sector=occupation.sector)
    form = wizard.STEP_BY_NAME["review"].form_class(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "back":
        return redirect("enrollment:contribution")
    if request.method == "POST" and form.is_valid():
        data.consent = True
        try:
            member = member_register(data=data, user=request.user, actor=request.user, ip_address=client_ip(request))
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("enrollment:identity" if "nik" in exc.message_dict else "enrollment:review")
        wizard.clear(request.session)
        messages.success(
            request, _("You are registered. Your participant number (KPJ) is %(kpj)s.") % {"kpj": member.kpj}
        )
        return redirect("enrollment:member-home")
    return render(request, "enrollment/step_review.html", {
        "form": form, "data": data, "occupation": occupation, "village_path": region_path(region=village),
        "ecosystem": Ecosystem.objects.filter(code=data.ecosystem).first() if data.ecosystem else None,
        "quote": quote, "step_number": 5, "step_total": 5, "previous": wizard.STEP_BY_NAME["contribution"],
    })


def _own_member(request) -> Member:
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    return member


@login_required
def member_home(request):
    member = member_for_user(user=request.user)
    if member is None:
        # A membership someone registered with this phone number waits to be claimed; otherwise register.
        waiting = member_claimable_exists(user=request.user)
        return redirect("enrollment:claim" if waiting else "enrollment:identity")
    return render(request, "enrollment/member_home.html", {
        "member": member, "coverage": coverage_status(member=member),
        "quote": member_monthly_quote(member=member, month=timezone.localdate()),
        "ahead": paid_ahead(member=member),
        "payers": [s.sponsor.name for s in sponsorships_for_member(member=member) if s.confirmed_at],
        "village_path": region_path(region=member.village),
    })


@login_required
def member_card(request):
    member = _own_member(request)
    return render(request, "enrollment/card.html", {
        "member": member, "coverage": coverage_status(member=member),
        "check_url": request.build_absolute_uri(reverse("enrollment:card-check", args=[member.card_token])),
    })


@login_required
def member_card_pdf(request):
    member = _own_member(request)
    check_url = request.build_absolute_uri(reverse("enrollment:card-check", args=[member.card_token]))
    pdf = card_pdf(member=member, check_url=check_url, coverage=coverage_status(member=member))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kartu-bpu-{member.kpj}.pdf"'
    return response


@never_cache  # a public page, but with a member's masked name and coverage
def card_check(request, token):
    """Public: what anyone scanning the card may see, and nothing more."""
    member = get_object_or_404(Member.objects.only("kpj", "full_name", "status", "card_token"), card_token=token)
    response = render(request, "enrollment/card_check.html", {
        "member": member, "coverage": coverage_status(member=member),
    })
    response["X-Robots-Tag"] = "noindex"
    return response



@login_required
def message_preferences(request):
    member = _own_member(request)
    form = forms.MessagePreferencesForm(request.POST or None, initial={
        "notify_channel": member.notify_channel, "email": member.email, "language": member.language,
        "reminders_opt_out": member.reminders_opt_out})
    if request.method == "POST" and form.is_valid():
        member_message_preferences_update(member=member, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved. Your messages will follow these choices."))
        return redirect("enrollment:messages")
    return render(request, "enrollment/message_preferences.html", {"form": form, "member": member})
