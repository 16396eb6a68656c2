"""SERTAKAN: a citizen registers workers near them and pays for them; the worker sees and answers sponsors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from contributions.services.payments import PaymentRefused, payment_order_create_for_many
from core.views import client_ip
from enrollment import selectors
from enrollment.forms import AddressForm, ContributionForm, IdentityForm, SponsorForm, SponsorPayForm, SponsorWorkerForm
from enrollment.models import Member
from enrollment.services import (
    RegistrationData,
    SponsorRequestPending,
    sponsor_become,
    sponsor_register_worker,
    sponsorship_answer,
)


@login_required
def dashboard(request):
    sponsor = selectors.sponsor_for_user(user=request.user)
    if sponsor is None:
        form = SponsorForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            sponsor_become(user=request.user, name=form.cleaned_data["name"])
            messages.success(request, _("Thank you for protecting the workers around you."))
            return redirect("sponsors:dashboard")
        return render(request, "enrollment/sponsor_start.html", {"form": form})
    workers = selectors.sponsor_workers(sponsor=sponsor)
    due = [w for w in workers if w["payable"] and w["coverage"].code in ("awaiting_payment", "in_arrears")]
    return render(request, "enrollment/sponsor_dashboard.html", {
        "sponsor": sponsor, "workers": workers, "due_ids": [w["member_id"] for w in due],
        "pay_form": SponsorPayForm(),
    })


def _forms(*, data=None, initial=None):
    """The worker's identity, address and contribution answers (the self-registration forms) and the sponsor's."""
    return (IdentityForm(data, initial=initial, check_registered=False),
            AddressForm(data, initial=initial, refresh_url=reverse("sponsors:register")),
            ContributionForm(data, initial=initial), SponsorWorkerForm(data, initial=initial))


@sensitive_post_parameters("nik")
@login_required
def register_worker(request):
    sponsor = selectors.sponsor_for_user(user=request.user)
    if sponsor is None:
        return redirect("sponsors:dashboard")
    if request.method == "POST" and request.POST.get("action") == "refresh":
        # Without JavaScript (or from htmx): show the next address list, keep everything typed.
        identity, address, contribution, extra = _forms(initial=request.POST.dict())
        return render(request, "enrollment/sponsor_register.html", {
            "identity": identity, "address": address, "contribution": contribution, "extra": extra})
    if request.method == "POST":
        identity, address, contribution, extra = _forms(data=request.POST)
        if all([f.is_valid() for f in (identity, address, contribution, extra)]):
            i, a, c, e = identity.cleaned_data, address.cleaned_data, contribution.cleaned_data, extra.cleaned_data
            data = RegistrationData(
                nik=i["nik"], full_name=i["full_name"], birth_place=i["birth_place"], birth_date=i["birth_date"],
                gender=i["gender"], phone=str(e["phone"]), village_code=a["village"], address_line=a["address_line"],
                occupation_code=a["occupation"], income_base_idr=c["income_base_idr"],
                programs=["JKK", "JKM"] + (["JHT"] if c["jht"] else []), consent=e["consent"],
            )
            try:
                member = sponsor_register_worker(sponsor=sponsor, data=data, relationship=e["relationship"],
                                                 ip_address=client_ip(request))
            except SponsorRequestPending:
                messages.info(request, _("This person is already a member. We asked them to accept you as their "
                                         "sponsor; they will appear here once they do."))
                return redirect("sponsors:dashboard")
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for form in (identity, address, contribution, extra):
                        if field in form.fields:
                            for error in errors:
                                form.add_error(field, error)
                            break
                    else:
                        for error in errors:
                            messages.error(request, error)
            else:
                messages.success(request, _("%(name)s is registered with participant number %(kpj)s.") % {
                    "name": member.masked_name, "kpj": member.kpj})
                return redirect("sponsors:dashboard")
    else:
        identity, address, contribution, extra = _forms()
    return render(request, "enrollment/sponsor_register.html", {
        "identity": identity, "address": address, "contribution": contribution, "extra": extra})


@login_required
@require_POST
def pay(request):
    sponsor = selectors.sponsor_for_user(user=request.user)
    if sponsor is None:
        raise Http404
    workers = {w["member_id"]: w for w in selectors.sponsor_workers(sponsor=sponsor) if w["payable"]}
    form = SponsorPayForm(request.POST, member_ids=list(workers))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("sponsors:dashboard")
    members = Member.objects.filter(pk__in=form.cleaned_data["members"]).select_related("occupation")
    try:
        order = payment_order_create_for_many(items=[(m, form.cleaned_data["months"]) for m in members],
                                              payer=request.user)
    except PaymentRefused as refused:
        messages.error(request, refused.message)
        return redirect("sponsors:dashboard")
    return redirect("contributions:order", order_id=order.pk)


@login_required
def member_sponsors(request):
    """The worker's side: who pays for them, requests to answer, and taking over paying."""
    member = selectors.member_for_user(user=request.user)
    if member is None:
        raise Http404
    if request.method == "POST":
        sponsorship_answer(sponsorship_id=int(request.POST.get("sponsorship", 0)), member=member,
                           accept=request.POST.get("answer") == "accept")
        return redirect("sponsors:member")
    return render(request, "enrollment/member_sponsors.html", {
        "sponsorships": selectors.sponsorships_for_member(member=member)})
