"""The staff directory (anyone signed in): who works here, what they handle, how to reach them, whether they are there.
Everyone sets their own status here; frontdesk.configure sets others' and edits what they handle and their
extension (for the people selectors_directory.profile_users reaches: anyone else is a 404, audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import get_scoped_or_404, login_required, permission_required, run_service

from . import selectors_directory as selectors
from .forms_desk import DirectoryFilterForm, PresenceForm, ProfileForm
from .services import directory as services


def _local(value: Any) -> Any:
    return timezone.localtime(value) if value is not None else None


DIRECTORY_EXPORT = Export(name="staff directory", object_type="accounts.user", columns=[
    Column(gettext_lazy("Department"), "department.name"),
    Column(gettext_lazy("Name"), "user.display_name"),
    Column(gettext_lazy("Job title"), "user.job_title"),
    Column(gettext_lazy("Role"), "roles"),
    Column(gettext_lazy("Location"), lambda row: _("All locations") if row.all_locations else row.locations),
    Column(gettext_lazy("Handles"), "handles"),
    Column(gettext_lazy("Phone"), "phone"),
    Column(gettext_lazy("Extension"), "extension"),
    Column(gettext_lazy("Status"), "presence.label"),
    Column(gettext_lazy("Time off"), "presence.on_time_off"),
    Column(gettext_lazy("Status note"), "presence.note"),
])


def _directory_page(request: HttpRequest, *, presence_form: PresenceForm | None = None,
                    status: int = 200) -> HttpResponse:
    user = request.user
    now = timezone.now()
    choices = selectors.filter_choices()
    filters = DirectoryFilterForm(request.GET or None, departments=choices["departments"],
                                  locations=choices["locations"])
    department, location = filters.value("department"), filters.value("location")
    rows = selectors.directory(actor=user, now=now, department_id=department.pk if department else None,
                               role=filters.value("role") or "", location_id=location.pk if location else None,
                               available_now=bool(filters.value("available")))
    if request.method == "GET" and export_format(request):
        return export_response(request, rows, DIRECTORY_EXPORT)
    editable = set(selectors.profile_users(actor=user).filter(pk__in=[row.user.pk for row in rows])
                   .values_list("pk", flat=True)) if rows else set()
    own = selectors.profile_of(user)  # type: ignore[arg-type]
    if presence_form is None:
        presence_form = PresenceForm(auto_id="presence_%s", initial={
            "presence": own.presence, "presence_note": own.presence_note, "away_until": _local(own.away_until)})
    groups: list[tuple[Any, list[selectors.DirectoryRow]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.department:
            groups.append((row.department, []))
        groups[-1][1].append(row)
    return render(request, "frontdesk/directory/directory.html", {
        "groups": groups, "count": len(rows), "filters": filters, "editable": editable,
        "presence_form": presence_form, "own": own,
    }, status=status)


@require_GET
@login_required
def directory(request: HttpRequest) -> HttpResponse:
    return _directory_page(request)


@require_POST
@login_required
def presence_set(request: HttpRequest) -> HttpResponse:
    """Set one's own status, or (frontdesk.configure) a colleague's: POST user=<pk>."""
    form = PresenceForm(request.POST, auto_id="presence_%s")
    if form.is_valid():
        target: Any = request.user
        other = form.cleaned_data.get("user")
        if other is not None and other != request.user.pk:
            target = get_scoped_or_404(request, selectors.profile_users(actor=request.user),
                                       permission=Perm.FRONTDESK_CONFIGURE, pk=other)
        if run_service(form, lambda: services.presence_set(
                actor=request.user, user=target, presence=form.cleaned_data["presence"],
                note=form.cleaned_data["presence_note"], away_until=form.cleaned_data["away_until"])):
            messages.success(request, _("Status saved."))
            return redirect("frontdesk:directory")
    return _directory_page(request, presence_form=form, status=400)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_CONFIGURE)
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """What a colleague handles, their extension and their status."""
    person: User = get_scoped_or_404(request, selectors.profile_users(actor=request.user),
                                     permission=Perm.FRONTDESK_CONFIGURE, pk=pk)
    profile = selectors.profile_of(person)
    form = ProfileForm(request.POST or None, initial={
        "handles": profile.handles, "extension": profile.extension, "presence": profile.presence,
        "presence_note": profile.presence_note, "away_until": _local(profile.away_until)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.profile_update(
                actor=request.user, user=person, handles=data["handles"], extension=data["extension"],
                presence=data["presence"], presence_note=data["presence_note"], away_until=data["away_until"])):
            messages.success(request, _("Profile of %(name)s saved.") % {"name": person.display_name})
            return redirect("frontdesk:directory")
    return render(request, "frontdesk/directory/profile_form.html", {"form": form, "person": person},
                  status=400 if form.errors else 200)
