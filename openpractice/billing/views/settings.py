"""Billing settings: who the practice is on the wire and where its 837P files go. billing.view reads them;
changing them takes billing.manage at all locations (they are practice-wide). The server's folders (where
batches are built, dropped, and may be dropped) are shown only to those who may change the settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.web import add_service_errors, permission_required

from ..forms_settings import BillingSettingsForm
from ..selectors.batches import billing_settings_current
from ..services.billing_settings import billing_settings_save, drop_roots
from ..transports import DirectoryDropTransport, batches_directory


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_VIEW)
def billing_settings(request: HttpRequest) -> HttpResponse:
    current = billing_settings_current()
    can_edit = has_all_locations(request.user, Perm.BILLING_MANAGE)
    form = BillingSettingsForm(request.POST if request.method == "POST" else None, instance=current) if can_edit else None
    if request.method == "POST":
        if form is None:
            # Read-only here: the service refuses and audits the attempt; the page says why.
            try:
                billing_settings_save(actor=request.user, data={})
            except PermissionDenied:
                messages.error(request, _("You may read the billing settings but not change them."))
            return redirect("billing:settings")
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data} if current else form.cleaned_data
            try:
                billing_settings_save(actor=request.user, data=data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Billing settings saved."))
                return redirect("billing:settings")
    context: dict[str, Any] = {"settings": current, "form": form, "can_edit": can_edit}
    if can_edit:
        context.update(batches_directory=batches_directory(),
                       drop_directory=DirectoryDropTransport().target_directory(), drop_roots=drop_roots())
    return render(request, "billing/settings.html", context, status=400 if form is not None and form.errors else 200)
