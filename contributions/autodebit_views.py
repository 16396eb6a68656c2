"""Auto-debit pages (a member for themselves, a sponsor for a worker) and the provider's signed result callback."""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import selectors
from contributions.api import ERRORS, Conflict, RawJSONParser, refusal_record, signed_simulator_payload
from contributions.forms import DebitMandateForm
from contributions.models import BillStatus, ProviderEventKind
from contributions.providers import (
    SIGNATURE_HEADER,
    SIMULATOR_TEST_ACCOUNTS,
    TIMESTAMP_HEADER,
    DebitOutcome,
    DebitResult,
    account_mask,
)
from contributions.services.autodebit import (
    MandateRefused,
    debit_callback_apply,
    debit_mandate_create,
    debit_mandate_revoke,
)
from core.money import format_idr
from core.views import client_ip
from members.selectors import member_monthly_quote

SCRIPT_LABELS = {
    "051": gettext_lazy("insufficient funds on every try"),
    "069": gettext_lazy("the mandate has expired at the bank"),
    "077": gettext_lazy("the first answer is lost (timeout), the charge is found when asked again"),
    "085": gettext_lazy("paid, and the result is reported twice"),
    "093": gettext_lazy("insufficient funds once, paid on the retry"),
}


def consent_text(*, issuer: str, account: str, member, max_amount_idr: int) -> str:
    """The exact words the payer agrees to (version settings.AUTODEBIT_CONSENT_VERSION); shown, then recorded."""
    return _("I authorise BPJS Ketenagakerjaan to debit %(issuer)s %(account)s for the BPU contributions of "
             "%(name)s (KPJ %(kpj)s): the months due, at most %(max)s a month, tried again up to %(tries)s times "
             "when a debit fails. I can revoke this at any time on my page; a debit already made is not undone.") % {
        "issuer": issuer, "account": account, "name": member.masked_name, "kpj": member.kpj,
        "max": format_idr(max_amount_idr), "tries": len(settings.AUTODEBIT_RETRY_DAYS)}


def _member(request, member_id):
    member = selectors.member_for_debit_payer(viewer=request.user, member_id=member_id)
    if member is None:
        raise Http404
    return member


def _page_url(member_id) -> str:
    return reverse("contributions:autodebit-worker", args=[member_id]) if member_id \
        else reverse("contributions:autodebit")


@login_required
def autodebit(request, member_id=None):
    member = _member(request, member_id)
    mandate = selectors.debit_mandate_live(member=member)
    return render(request, "contributions/autodebit.html", {
        "member": member, "mandate": mandate, "attempts": selectors.debit_attempts_for(member=member),
        "own": mandate is not None and mandate.payer_id == request.user.pk, "member_id": member_id,
        "setup_url": reverse("contributions:autodebit-setup-worker", args=[member_id]) if member_id
        else reverse("contributions:autodebit-setup"),
        "back_url": reverse("sponsors:dashboard") if member_id else reverse("contributions:home"),
    })


def _amounts(member) -> tuple[int, int]:
    """The least maximum that pays a month (this month's price), and a suggestion: what is open now or two
    months, whichever is more, rounded up to Rp10,000."""
    monthly = member_monthly_quote(member=member).total_idr
    open_now = sum(member.bills.filter(status=BillStatus.OPEN).values_list("total_idr", flat=True))
    suggested = max(open_now, 2 * monthly)
    return monthly, -(-suggested // 10_000) * 10_000


@login_required
def autodebit_setup(request, member_id=None):
    member = _member(request, member_id)
    page = _page_url(member_id)
    if selectors.debit_mandate_live(member=member) is not None:
        messages.info(request, _("This membership already has an auto-debit. Revoke it first to use another account."))
        return redirect(page)
    minimum, suggested = _amounts(member)
    confirming = request.method == "POST" and request.POST.get("step") == "confirm"
    if request.method == "POST" and "back" in request.POST:
        form = DebitMandateForm(request.POST, minimum_idr=minimum)
        form.is_valid()
        form.errors.pop("consent", None)
        return _render_setup(request, member, form, member_id, confirm=False)
    form = DebitMandateForm(request.POST or None, minimum_idr=minimum, confirming=confirming,
                            initial={"max_amount": str(suggested)})
    if request.method != "POST" or not form.is_valid():
        only_consent = confirming and set(form.errors) == {"consent"}
        return _render_setup(request, member, form, member_id, confirm=only_consent)
    data = form.cleaned_data
    if not confirming:
        return _render_setup(request, member, form, member_id, confirm=True)
    try:
        debit_mandate_create(payer=request.user, member=member, method=data["method"], issuer=data["issuer"],
                             account=data["account"], max_amount_idr=data["max_amount"],
                             consent_ip=client_ip(request))
    except MandateRefused as refused:
        messages.error(request, refused.message)
        return redirect(page)
    messages.success(request, _("Auto-debit is set up. We will take the months due, at most %(max)s a month.") % {
        "max": format_idr(data["max_amount"])})
    return redirect(page)


def _render_setup(request, member, form, member_id, *, confirm: bool):
    data = getattr(form, "cleaned_data", {}) if confirm else {}
    text = None
    if confirm:
        text = consent_text(issuer=data["issuer"], account=account_mask(data["account"]), member=member,
                            max_amount_idr=data["max_amount"])
    return render(request, "contributions/autodebit_setup.html", {
        "member": member, "form": form, "confirm": confirm, "consent_text": text, "data": data,
        "member_id": member_id, "page_url": _page_url(member_id),
        "test_accounts": [(digits, SCRIPT_LABELS[digits]) for digits in SIMULATOR_TEST_ACCOUNTS]
        if settings.PAYMENT_SIMULATOR_ENABLED else [],
    }, status=200)


@login_required
@require_POST
def autodebit_revoke(request, mandate_id):
    mandate = selectors.debit_mandate_for_payer(viewer=request.user, mandate_id=mandate_id)
    if mandate is None:
        raise Http404
    own = mandate.member.user_id == request.user.pk
    if request.POST.get("confirm") != "yes":  # the second step: are you sure (a plain form, no JavaScript)
        return render(request, "contributions/autodebit_revoke.html", {
            "mandate": mandate, "page_url": _page_url(None if own else mandate.member_id)})
    debit_mandate_revoke(mandate=mandate, actor=request.user, reason="revoked by the payer")
    messages.success(request, _("Auto-debit is revoked. Nothing more will be taken from %(account)s.") % {
        "account": mandate.account_masked})
    return redirect(_page_url(None if own else mandate.member_id))


# --- the provider's callback ---------------------------------------------------------------------------------------


class DebitCallbackIn(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=64)
    status = serializers.ChoiceField(choices=[DebitOutcome.SUCCEEDED, DebitOutcome.DECLINED])
    reason = serializers.CharField(max_length=30, allow_blank=True, default="")
    reference = serializers.CharField(max_length=64)
    amount_idr = serializers.IntegerField(min_value=1)
    charged_at = serializers.CharField()


class DebitCallbackOut(serializers.Serializer):
    attempt = serializers.CharField()
    status = serializers.CharField()
    replay = serializers.BooleanField()


class SimulatorDebitCallbackView(APIView):
    """Charge results from the simulated gateway, signed like the payment webhook (HMAC-SHA256 of
    "timestamp.body"). The run applies the same results from the charge call; whichever comes first settles."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [RawJSONParser]
    throttle_classes: list = []

    @extend_schema(request=DebitCallbackIn, responses={200: DebitCallbackOut, **ERRORS}, tags=["payments"],
                   parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
                               OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True)],
                   summary="Auto-debit charge result from the simulated gateway")
    def post(self, request):
        try:
            v, charged_at = signed_simulator_payload(request, DebitCallbackIn, moment_field="charged_at")
            answer = debit_callback_apply(provider="simulator", result=DebitResult(
                v["idempotency_key"], v["status"], v["reason"], v["reference"], v["amount_idr"], charged_at))
            if not answer["known"]:
                raise Conflict(detail="no debit attempt has this key", code="unknown_attempt")
        except APIException as error:
            refusal_record(request, error, kind=ProviderEventKind.DEBIT)
            raise
        return Response({"attempt": answer["attempt"], "status": answer["status"], "replay": answer["replay"]})
