"""Perisai agents in the field: register traders quickly, take cash, settle it, see their commission."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from agents.forms import CashForm, SettlementForm
from agents.services import agent_register_trader
from contributions.selectors import agent_cash_position, agent_traders, commission_statement, payment_preview
from contributions.services.agents import AgentNotActive, agent_cash_collect, agent_settle
from contributions.services.payments import PaymentRefused
from core.money import format_idr
from core.views import client_ip
from enrollment.forms import WorkerContactForm
from enrollment.onbehalf import on_behalf_forms
from members.models import Agent, Member
from reference.selectors import region_path

LAST_PLACE = "agent_last_place"


def _agent(request) -> Agent:
    agent = Agent.objects.select_related("body", "village__parent__parent__parent").filter(
        user=request.user).first() if request.user.is_authenticated else None
    if agent is None:
        raise PermissionDenied
    return agent


@login_required
def dashboard(request):
    agent = _agent(request)
    today = timezone.localdate()
    return render(request, "agents/dashboard.html", {
        "agent": agent, "cash": agent_cash_position(agent=agent),
        "statement": commission_statement(agent=agent, month=today),
        "collections": agent.collections.select_related("payment__member").order_by("-collected_at")[:20],
        "members": agent_traders(agent=agent),
    })


def _starting_place(request, agent) -> dict:
    """The form starts where the agent last registered someone (or at the agent's own market)."""
    place = request.session.get(LAST_PLACE)
    if place:
        return place
    if agent.village:
        codes = [r.code for r in region_path(region=agent.village)]
        return dict(zip(("province", "regency", "district", "village"), codes, strict=False))
    return {}


@sensitive_post_parameters("nik")
@login_required
def register_trader(request):
    agent = _agent(request)

    def forms_for(**kwargs):
        return on_behalf_forms(contact_class=WorkerContactForm, refresh_url=reverse("agents:register"),
                               ask_ecosystem=False, check_registered=False, **kwargs)

    if request.method == "POST" and request.POST.get("action") == "refresh":
        forms = forms_for(initial=request.POST.dict())
    elif request.method == "POST":
        forms = forms_for(data=request.POST)
        if forms.is_valid():
            try:
                agent_register_trader(agent=agent, data=forms.data(), ip_address=client_ip(request))
            except ValidationError as exc:
                for error in forms.add_service_errors(exc):
                    messages.error(request, error)
            else:
                request.session[LAST_PLACE] = {k: request.POST.get(k, "") for k in
                                               ("province", "regency", "district", "village", "occupation")}
                # The same answer whether the NIK was new or already a member's: an agent cannot test NIKs.
                messages.success(request, _("Thank you. The trader gets a text message about it. To record their "
                                            "cash, use the participant number (KPJ) in that message or on their "
                                            "card."))
                return redirect("agents:cash")
    else:
        forms = forms_for(initial=_starting_place(request, agent))
    return render(request, "enrollment/register_on_behalf.html", {
        **forms.context(), "title": _("Register a trader"), "submit_label": _("Register the trader")})


@login_required
def cash(request):
    agent = _agent(request)
    data = request.POST or request.GET or None
    if data is not None and not data.get("months"):  # a link or a typed KPJ: one month unless told otherwise
        data = data.copy()
        data["months"] = "1"
    form = CashForm(data)
    member = preview = None
    if form.is_bound and form.is_valid():
        member = Member.objects.select_related("occupation").filter(kpj=form.cleaned_data["kpj"]).first()
        if member is None:
            form.add_error("kpj", _("No member has this participant number."))
        else:
            preview = payment_preview(member=member, count=form.cleaned_data["months"])
    if request.method == "POST" and member is not None and request.POST.get("action") == "record":
        try:
            collection = agent_cash_collect(agent=agent, member=member, months_count=form.cleaned_data["months"])
        except (AgentNotActive, PaymentRefused) as exc:
            messages.error(request, getattr(exc, "message", _("Your agent account is inactive.")))
        else:
            messages.success(request, _("Cash of %(amount)s recorded for %(kpj)s. The member got a receipt.") % {
                "amount": format_idr(collection.amount_idr), "kpj": member.kpj})
            return redirect("agents:dashboard")
    return render(request, "agents/cash.html", {
        "form": form, "member": member, "preview": preview,
        "total_idr": sum(p.total_idr for p in preview) if preview else 0})


@login_required
def settle(request):
    agent = _agent(request)
    form = SettlementForm(request.POST or None)
    position = agent_cash_position(agent=agent)
    if request.method == "POST" and form.is_valid():
        try:
            agent_settle(agent=agent, bank_reference=form.cleaned_data["bank_reference"])
        except ValueError:
            form.add_error(None, _("You hold no cash to settle."))
        except IntegrityError:
            form.add_error("bank_reference", _("This bank reference was already used."))
        else:
            messages.success(request, _("Settlement recorded."))
            return redirect("agents:dashboard")
    return render(request, "agents/settle.html", {"form": form, "cash": position})
