import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contributions import selectors
from contributions.forms import CalculatorForm, PayForm
from contributions.models import OrderStatus, PaymentOrder
from contributions.providers import send_webhook, webhook_payload
from contributions.receipt import receipt_pdf
from contributions.services.membership import member_reactivate
from contributions.services.payments import PaymentRefused, payment_order_create
from core.client_ip import client_ip
from core.services import audit_event_record
from core.views import admin_required, staff_required
from members.selectors import member_for_user
from reference.tariffs import tariff_quote


def calculator(request):
    """Public: what a month of protection costs, with no sign-in."""
    form = CalculatorForm(request.GET or None)
    quote = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        quote = tariff_quote(income_idr=d["income"], programs=["JKK", "JKM"] + (["JHT"] if d["jht"] else []),
                             month=form.month_date(), sector=d["sector"], funding=d["funding"])
    return render(request, "contributions/calculator.html", {"form": form, "quote": quote})


def _member_or_redirect(request):
    member = member_for_user(user=request.user)
    if member is None:
        raise Http404
    return member


@login_required
def contributions_home(request):
    member = _member_or_redirect(request)
    return render(request, "contributions/home.html", {
        "member": member, "coverage": selectors.coverage_status(member=member),
        "account": selectors.member_account(member=member), "bills": selectors.bills_for(member=member)[:24],
        "today": timezone.localdate(),
        "autodebit": selectors.debit_mandate_live(member=member),
    })


@login_required
@require_POST
def reactivate(request):
    """A lapsed member starts again with the same NIK and participant number; billing restarts this month."""
    member = _member_or_redirect(request)

    member_reactivate(member_id=member.pk, actor=request.user)
    messages.success(request, _("Your membership is active again. Pay this month's contribution to be protected."))
    return redirect("contributions:pay")


@login_required
def pay(request):
    member = _member_or_redirect(request)
    form = PayForm(request.POST or request.GET or None)
    count = form.cleaned_data["months"] if form.is_bound and form.is_valid() else 1
    if request.method == "POST" and form.is_valid():
        try:
            order = payment_order_create(member=member, months_count=count, payer=request.user)
        except PaymentRefused as refused:
            messages.error(request, refused.message)
            return redirect("contributions:home")
        return redirect("contributions:order", order_id=order.pk)
    preview = selectors.payment_preview(member=member, count=count)
    return render(request, "contributions/pay.html", {
        "member": member, "form": form, "count": count, "preview": preview,
        "total_idr": sum(p.total_idr for p in preview),
        "coverage": selectors.coverage_status(member=member),
    })


@login_required
def order(request, order_id):
    order = selectors.order_for_viewer(order_id=order_id, viewer=request.user)
    if order is None:
        raise Http404
    expired = order.status == OrderStatus.PENDING and order.expires_at <= timezone.now()
    return render(request, "contributions/order.html", {
        "order": order, "expired": expired, "payment": getattr(order, "payment", None),
        "lines": order.lines.select_related("member"),
        "coverage": selectors.coverage_status(member=order.member) if order.member else None,
        "simulator": settings.PAYMENT_SIMULATOR_ENABLED,
    })


@login_required
def receipt(request, receipt_number):
    payment = selectors.payment_for_viewer(receipt_number=receipt_number, viewer=request.user)
    if payment is None:
        raise Http404
    return render(request, "contributions/receipt.html", {
        "payment": payment, "allocations": _allocations(payment),
        "member_name": selectors.receipt_member_name(payment=payment, viewer=request.user)})


@login_required
def receipt_download(request, receipt_number):
    payment = selectors.payment_for_viewer(receipt_number=receipt_number, viewer=request.user)
    if payment is None:
        raise Http404
    name = selectors.receipt_member_name(payment=payment, viewer=request.user)
    response = HttpResponse(receipt_pdf(payment=payment, allocations=_allocations(payment), member_name=name),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bukti-bayar-{payment.receipt_number}.pdf"'
    return response


def _allocations(payment):
    return list(payment.entries.filter(kind="allocation").select_related("bill", "member")
                .order_by("member_id", "bill__month"))


@staff_required
def staff_member(request):
    """A member's account, found by KPJ or NIK. The search is a POST (no NIK in URLs or access logs) and the page
    is rendered in its answer; the NIK shows masked until the staff member asks to see it, which is audited."""
    member, query, nik = None, "", ""
    if request.method == "POST":
        if "member" in request.POST:  # "Show NIK" on a member found before
            member = selectors.member_for_staff_by_id(member_id=request.POST["member"], viewer=request.user)
            if member is None:
                raise Http404
            nik = member.nik
            audit_event_record(actor=request.user, action="member.nik_shown", obj=member,
                               changes={"nik": member.nik_masked}, ip_address=client_ip(request))
        else:
            query = request.POST.get("q", "").strip()[:40]
            member = selectors.member_for_staff(query=query, viewer=request.user) if query else None
            if query and member is None:
                messages.error(request, _("No member in your area has this participant number or NIK."))
    # Found: the box is emptied, so the NIK typed does not sit in the page beside its masked form.
    context: dict[str, object] = {"q": "" if member else query, "member": member, "nik": nik}
    if member:
        context.update({
            "coverage": selectors.coverage_status(member=member), "account": selectors.member_account(member=member),
            "bills": selectors.bills_for(member=member)[:36],
            "entries": member.ledger_entries.select_related("bill", "payment").order_by("-created_at", "-id")[:100],
        })
    response = render(request, "contributions/staff_member.html", context)
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def staff_reconciliation(request):
    return render(request, "contributions/staff_reconciliation.html", {
        "r": selectors.reconciliation(), "agents_late": selectors.agents_holding_cash_too_long(),
        "refused": selectors.refused_provider_money()})


def simulator_required(view):
    def wrapped(request, *args, **kwargs):
        if not settings.PAYMENT_SIMULATOR_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@simulator_required
def simulator(request):
    """The simulated gateway's own page: pending virtual accounts a tester can pay."""
    pending = PaymentOrder.objects.filter(status=OrderStatus.PENDING, expires_at__gt=timezone.now()) \
        .select_related("member").order_by("-created_at")[:50]
    return render(request, "contributions/simulator.html", {"orders": pending,
                                                           "va": request.GET.get("va", "")})


@simulator_required
@require_POST
def simulator_pay(request):
    """Pays a virtual account: the simulator sends the signed webhook to the portal over HTTP, as a bank would."""
    order = PaymentOrder.objects.filter(va_number=request.POST.get("va_number", "")).first()
    if order is None:
        messages.error(request, _("No pending payment has this virtual account number."))
        return redirect("contributions:simulator")
    try:
        amount = int(request.POST.get("amount_idr") or order.amount_idr)
    except ValueError:
        amount = order.amount_idr
    body = webhook_payload(event_id=uuid.uuid4().hex, va_number=order.va_number, amount_idr=amount,
                           channel=request.POST.get("channel", "va"), paid_at=timezone.now().isoformat())
    base = settings.PAYMENT_SIMULATOR_WEBHOOK_BASE or request.build_absolute_uri("/")
    url = base.rstrip("/") + reverse("api-webhook-simulator")
    sends = 2 if request.POST.get("twice") else 1
    results = [send_webhook(url=url, body=body) for _n in range(sends)]
    for status, text in results:
        level = messages.success if status == 200 else messages.error
        level(request, _("Webhook sent: the portal answered %(status)s %(body)s") % {
            "status": status, "body": text.decode(errors="replace")[:200]})
    if results[0][0] == 200 and request.POST.get("return") == "order":
        return redirect("contributions:order", order_id=order.pk)
    return redirect("contributions:simulator")
