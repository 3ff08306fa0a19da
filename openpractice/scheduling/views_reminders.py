"""The reminder policy page, under /schedule/reminders/."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form
from openpractice.core.web import add_service_errors, permission_required

from . import reminders


class ReminderPolicyForm(Form):
    enabled = forms.BooleanField(label=gettext_lazy("Send email reminders"), required=False)
    hours_before = forms.IntegerField(
        label=gettext_lazy("Hours before the appointment"), min_value=1, max_value=168,
        help_text=gettext_lazy("Between 1 and 168 hours (one week). Patients without an email address get none."))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.SCHEDULE_MANAGE)
def reminder_settings(request: HttpRequest) -> HttpResponse:
    policy = reminders.reminder_policy()
    may_edit = has_all_locations(request.user, Perm.SCHEDULE_MANAGE)
    initial: dict[str, Any] = {"enabled": policy.enabled, "hours_before": policy.hours_before}
    form = ReminderPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reminders.reminder_policy_update(actor=request.user, enabled=form.cleaned_data["enabled"],
                                             hours_before=form.cleaned_data["hours_before"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Reminder settings saved."))
            return redirect("scheduling:reminder_settings")
    return render(request, "scheduling/reminders/settings.html", {
        "form": form, "policy": policy, "may_edit": may_edit,
    }, status=400 if form.errors else 200)
