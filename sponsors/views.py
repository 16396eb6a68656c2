"""SERTAKAN: a citizen or an organisation registers workers near them and pays for them; the worker sees and answers
sponsors. Organisations' accounts (email + password): organisation_views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from contributions.selectors import receipts_for_payer
from contributions.services.payments import PaymentRefused, payment_order_create_for_many
from core.http import posted_id_or_404
from core.views import client_ip
from enrollment.forms import MessagePreferencesForm, SponsorForm, SponsorPayForm, SponsorWorkerForm
from enrollment.onbehalf import on_behalf_forms
from members.models import Member, Sponsorship
from members.selectors import member_for_user, sponsor_for_user, sponsorships_for_member
from members.services import sponsor_become, sponsor_message_preferences_update
from sponsors import selectors
from sponsors.services import sponsor_register_worker, sponsorship_respond

RECEIPTS_PER_PAGE = 10


@login_required
def dashboard(request):
    sponsor = sponsor_for_user(user=request.user)
    if sponsor is None:
        form = SponsorForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            sponsor_become(user=request.user, name=form.cleaned_data["name"])
            messages.success(request, _("Thank you for protecting the workers around you."))
            return redirect("sponsors:dashboard")
        return render(request, "sponsors/sponsor_start.html", {"form": form})
    workers = selectors.sponsor_workers(sponsor=sponsor)
    due = [w for w in workers if w["payable"] and w["coverage"].code in ("awaiting_payment", "in_arrears")]
    receipts = Paginator(receipts_for_payer(viewer=request.user), RECEIPTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "sponsors/sponsor_dashboard.html", {
        "sponsor": sponsor, "workers": workers, "due_ids": [w["member_id"] for w in due],
        "pay_form": SponsorPayForm(), "receipts": receipts,
    })


def _forms(**kwargs):
    return on_behalf_forms(contact_class=SponsorWorkerForm, refresh_url=reverse("sponsors:register"),
                           check_registered=False, **kwargs)


@sensitive_post_parameters("nik")
@login_required
def register_worker(request):
    sponsor = sponsor_for_user(user=request.user)
    if sponsor is None:
        return redirect("sponsors:dashboard")
    if request.method == "POST" and request.POST.get("action") == "refresh":
        # Without JavaScript (or from htmx): show the next address list, keep everything typed.
        forms = _forms(initial=request.POST.dict())
    elif request.method == "POST":
        forms = _forms(data=request.POST)
        if forms.is_valid():
            try:
                sponsor_register_worker(sponsor=sponsor, data=forms.data(),
                                        relationship=forms.contact.cleaned_data["relationship"],
                                        ip_address=client_ip(request))
            except ValidationError as exc:
                for error in forms.add_service_errors(exc):
                    messages.error(request, error)
            else:
                # The same answer whether the NIK was new or already a member's (decisions.md, R).
                messages.success(request, _("Thank you. We sent the worker a text message about it. They appear in "
                                            "your list as soon as their membership with you is in place."))
                return redirect("sponsors:dashboard")
    else:
        forms = _forms()
    return render(request, "enrollment/register_on_behalf.html", {
        **forms.context(), "title": _("Register a worker"), "submit_label": _("Register the worker")})


@login_required
@require_POST
def pay(request):
    sponsor = sponsor_for_user(user=request.user)
    if sponsor is None:
        raise Http404
    workers = {w["member_id"]: w for w in selectors.sponsor_workers(sponsor=sponsor) if w["payable"]}
    form = SponsorPayForm(request.POST, member_ids=list(workers))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
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
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            sponsorship = sponsorship_respond(sponsorship_id=posted_id_or_404(request.POST.get("sponsorship")),
                                              member=member, accept=accept)
        except Sponsorship.DoesNotExist as missing:  # another member's, or gone
            raise Http404 from missing
        name = sponsorship.sponsor.name
        messages.success(request, _("Confirmed: %(name)s now pays your contributions. You can stop it here at any "
                                    "time.") % {"name": name} if accept else
                         _("Done: %(name)s does not pay for you.") % {"name": name})
        return redirect("sponsors:member")
    return render(request, "sponsors/member_sponsors.html", {
        "sponsorships": sponsorships_for_member(member=member)})


@login_required
def message_preferences(request):
    sponsor = sponsor_for_user(user=request.user)
    if sponsor is None:
        return redirect("sponsors:dashboard")
    form = MessagePreferencesForm(request.POST or None, initial={
        "notify_channel": sponsor.notify_channel, "email": request.user.email, "language": request.user.language,
        "reminders_opt_out": sponsor.reminders_opt_out})
    if sponsor.kind == sponsor.Kind.ORGANISATION:
        form.fields["email"].disabled = True  # the sign-in address
    if request.method == "POST" and form.is_valid():
        sponsor_message_preferences_update(sponsor=sponsor, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved. Your messages will follow these choices."))
        return redirect("sponsors:messages")
    return render(request, "enrollment/message_preferences.html", {"form": form, "back": "sponsors:dashboard"})
