"""Settings → Integrations → Webhooks: a manager's subscriptions, their delivery logs, and the actions on them.

Thin views: parse, call one service or selector, render. Every route needs integrations.manage; a subscription
or delivery that is not the actor's answers 404 and the attempt is audited (core.web.get_scoped_or_404).
The signing secret is shown in the answer to the POST that made it, never stored for a later page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors, services_webhooks
from .forms import SubscriptionForm
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription

PERMISSION = Perm.INTEGRATIONS_MANAGE


def _subscription(request: HttpRequest, pk: int) -> WebhookSubscription:
    return get_scoped_or_404(request, selectors.subscriptions_owned(actor=request.user), permission=PERMISSION, pk=pk)


def _show_secret(request: HttpRequest, subscription: WebhookSubscription, secret: str, *, created: bool) -> HttpResponse:
    response = render(request, "integrations/webhook_secret.html",
                      {"subscription": subscription, "secret": secret, "created": created})
    response["Cache-Control"] = "no-store"
    return response


def _refusal_or_message(request: HttpRequest, call: Any) -> bool:
    """Run a service for a button: a refusal is the 404 (already audited), a broken rule a message."""
    try:
        call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    return True


@require_GET
@permission_required(PERMISSION)
def webhook_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.subscriptions_owned(actor=request.user),
                 sorts={"name": "name", "url": "url", "status": "is_active", "last": "last_delivery_at"},
                 default_sort="name", search_fields=("name", "url"), element_id="webhook-table")
    return render_table(request, "integrations/webhook_list.html", {
        "table": rows, "table_template": "integrations/_webhook_table.html"})


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made: dict[str, Any] = {}

        def create() -> None:
            made["subscription"], made["secret"] = services_webhooks.subscription_create(
                actor=request.user, **form.cleaned_data)

        if run_service(form, create):
            return _show_secret(request, made["subscription"], made["secret"], created=True)
    status = 400 if form.errors else 200
    return render(request, "integrations/webhook_form.html", {"form": form}, status=status)


@require_GET
@permission_required(PERMISSION)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    status = request.GET.get("status") or ""
    rows = table(request, selectors.delivery_log(subscription=subscription, status=status),
                 sorts={"created": "created_at"}, default_sort="-created", search_fields=("event",),
                 element_id="delivery-table")
    return render_table(request, "integrations/webhook_detail.html", {
        "subscription": subscription, "table": rows, "table_template": "integrations/_delivery_table.html",
        "filter_template": "integrations/_delivery_filter.html", "status": status,
        "statuses": DeliveryStatus.choices, "redeliverable": (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED),
        "empty_message": _("No deliveries yet. Send a test ping to try the receiver.")})


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    initial = {"name": subscription.name, "url": subscription.url, "events": subscription.events}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and run_service(
            form, lambda: services_webhooks.subscription_update(
                actor=request.user, subscription=subscription, **form.cleaned_data)):
        messages.success(request, _("Subscription saved."))
        return redirect("integrations:webhook_detail", pk=subscription.pk)
    status = 400 if form.errors else 200
    return render(request, "integrations/webhook_form.html", {"form": form, "subscription": subscription},
                  status=status)


@require_POST
@permission_required(PERMISSION)
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    made: dict[str, str] = {}

    def rotate() -> None:
        made["secret"] = services_webhooks.subscription_rotate_secret(actor=request.user, subscription=subscription)

    if _refusal_or_message(request, rotate):
        return _show_secret(request, subscription, made["secret"], created=False)
    return redirect("integrations:webhook_detail", pk=subscription.pk)


@require_POST
@permission_required(PERMISSION)
def webhook_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    if _refusal_or_message(request, lambda: services_webhooks.subscription_deactivate(
            actor=request.user, subscription=subscription)):
        messages.success(request, _("Subscription deactivated: no more events are sent to it."))
    return redirect("integrations:webhook_detail", pk=subscription.pk)


@require_POST
@permission_required(PERMISSION)
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    if _refusal_or_message(request, lambda: services_webhooks.subscription_ping(
            actor=request.user, subscription=subscription)):
        messages.success(request, _("Test ping sent; its result is at the top of the delivery log."))
    return redirect("integrations:webhook_detail", pk=subscription.pk)


@require_POST
@permission_required(PERMISSION)
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery: WebhookDelivery = get_scoped_or_404(request, selectors.deliveries_owned(actor=request.user),
                                                  permission=PERMISSION, pk=pk)
    if _refusal_or_message(request, lambda: services_webhooks.delivery_redeliver(
            actor=request.user, delivery=delivery)):
        messages.success(request, _("The event is being sent again."))
    return redirect("integrations:webhook_detail", pk=delivery.subscription_id)
