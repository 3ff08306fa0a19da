"""Credential pages: the catalog, an employee's credentials with their renewal history, adding, correcting,
verifying and renewing them, the evidence file, and the expiring-credentials dashboard. Self-service: everyone
reaches their own credentials (and renews them); HR reaches those of the employees at its locations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    deny,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..forms_credentials import CredentialForm, CredentialTypeForm, RenewalForm, VerifyForm
from ..models import CredentialType, Employee, EmployeeCredential
from ..selectors import credentials as selectors
from ..selectors.scope import employees_scoped, own_employee
from ..services import credentials as services


def _employee(request: HttpRequest, pk: int, permission: str, *, include_self: bool) -> Employee:
    return get_scoped_or_404(request, employees_scoped(actor=request.user, permission=permission,
                                                       include_self=include_self),
                             permission=permission, pk=pk)


def _credential(request: HttpRequest, pk: int, permission: str = Perm.WORKFORCE_VIEW, *,
                include_self: bool = True) -> EmployeeCredential:
    return get_scoped_or_404(request, selectors.credentials_scoped(actor=request.user, permission=permission,
                                                                   include_self=include_self),
                             permission=permission, pk=pk)


# --- catalog -------------------------------------------------------------------------------------------------


TYPE_EXPORT = Export(name="credential catalog", object_type="workforce.credentialtype", columns=[
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Issuing body"), "issuer"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Needed to see patients"), "required_to_see_patients"),
    Column(gettext_lazy("Renewal (months)"), "renewal_months"),
    Column(gettext_lazy("In use"), "is_active"),
])


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def credential_type_list(request: HttpRequest) -> HttpResponse:
    state = table(request, selectors.credential_types(), sorts={"code": "code", "kind": "kind", "issuer": "issuer"},
                  default_sort="code", search_fields=("code", "name", "issuer"))
    return render_table(request, "workforce/credentials/type_list.html", {
        "table": state, "table_template": "workforce/credentials/type_table.html", "export": TYPE_EXPORT,
        "can_manage": can(request.user, Perm.WORKFORCE_MANAGE)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def credential_type_create(request: HttpRequest) -> HttpResponse:
    return _type_form(request, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def credential_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    credential_type = get_scoped_or_404(request, selectors.credential_types(), permission=Perm.WORKFORCE_MANAGE,
                                        pk=pk)
    return _type_form(request, credential_type)


def _type_form(request: HttpRequest, credential_type: CredentialType | None) -> HttpResponse:
    form = CredentialTypeForm(request.POST or None, instance=credential_type or CredentialType())
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in CredentialTypeForm.Meta.fields}
        try:
            if credential_type is None:
                services.credential_type_create(actor=request.user, data=data)
            else:
                services.credential_type_update(actor=request.user, credential_type=credential_type, data=data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Credential saved in the catalog."))
            return redirect("workforce:credential_type_list")
    return render(request, "workforce/credentials/type_form.html",
                  {"form": form, "credential_type": credential_type}, status=400 if form.errors else 200)


# --- dashboard -----------------------------------------------------------------------------------------------


def _credential_status(days_left: int | None) -> str:
    """The status badge's words (workforce/credentials/status_badge.html)."""
    if days_left is None:
        return str(_("Does not expire"))
    if days_left < 0:
        return str(_("Expired"))
    if days_left == 0:
        return str(_("Expires today"))
    return str(_("Current")) if days_left > 90 else ngettext("%(days)s day left", "%(days)s days left",
                                                             days_left) % {"days": days_left}


def expiring_export(today: dt.date) -> Export:
    def days_left(credential: EmployeeCredential) -> int | None:
        return (credential.expires_on - today).days if credential.expires_on else None

    return Export(name="expiring credentials", object_type="workforce.employeecredential", columns=[
        Column(gettext_lazy("Employee"), "employee.display_name"),
        Column(gettext_lazy("Employee number"), "employee.employee_number"),
        Column(gettext_lazy("Credential"), "credential_type.code"),
        Column(gettext_lazy("Licence"), "credential_type.required_to_see_patients"),
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Expires"), "expires_on"),
        Column(gettext_lazy("Days left"), days_left),
        Column(gettext_lazy("Status"), lambda credential: _credential_status(days_left(credential))),
        Column(gettext_lazy("Verified"), lambda credential: credential.verified_at is not None),
    ])


@require_GET
@permission_required(Perm.WORKFORCE_VIEW)
def credential_expiring(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    state = table(request, selectors.expiring_credentials(actor=request.user, today=today),
                  sorts={"expires": "expires_on", "employee": "employee__last_name", "code": "credential_type__code"},
                  default_sort="expires", search_fields=("employee__first_name", "employee__last_name",
                                                         "credential_type__code"))
    _days_left(list(state.page.object_list), today)
    return render_table(request, "workforce/credentials/expiring.html", {
        "table": state, "table_template": "workforce/credentials/expiring_table.html",
        "export": expiring_export(today),
        "within_days": selectors.EXPIRING_WITHIN_DAYS})


# --- an employee's credentials -------------------------------------------------------------------------------


def _credentials_page(request: HttpRequest, employee: Employee) -> HttpResponse:
    rows = list(selectors.credentials_scoped(actor=request.user).filter(employee=employee)
                .order_by("credential_type__code", "-issued_on", "-pk"))
    today = practice_today()
    _days_left(rows, today)
    return render(request, "workforce/credentials/employee_credentials.html", {
        "employee": employee, "current": [row for row in rows if not _renewed(row, rows)],
        "history": [row for row in rows if _renewed(row, rows)], "today": today,
        "is_own": services.is_own(request.user, employee),
        "can_manage": services.reaches(request.user, Perm.WORKFORCE_MANAGE, employee)})


def _days_left(rows: list[EmployeeCredential], today: Any) -> None:
    for row in rows:
        row.days_left = (row.expires_on - today).days if row.expires_on else None  # type: ignore[attr-defined]


def _renewed(row: EmployeeCredential, rows: list[EmployeeCredential]) -> bool:
    return any(other.replaces_id == row.pk for other in rows)


@require_GET
@login_required
def employee_credentials(request: HttpRequest, employee_pk: int) -> HttpResponse:
    return _credentials_page(request, _employee(request, employee_pk, Perm.WORKFORCE_VIEW, include_self=True))


@require_GET
@login_required
def my_credentials(request: HttpRequest) -> HttpResponse:
    employee = own_employee(request.user)
    if employee is None:  # in everyone's menu: say why it is empty rather than "not found"
        return render(request, "workforce/credentials/no_record.html")
    return _credentials_page(request, employee)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def credential_add(request: HttpRequest, employee_pk: int) -> HttpResponse:
    employee = _employee(request, employee_pk, Perm.WORKFORCE_MANAGE, include_self=False)
    form = CredentialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.credential_add(
                actor=request.user, employee=employee, data=form.data_for_service(),
                evidence=form.cleaned_data["evidence"] or None,
                verification_method=form.cleaned_data["verification_method"],
                verification_note=form.cleaned_data["verification_note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Credential added."))
            return redirect("workforce:credential_detail", pk=credential.pk)
    return render(request, "workforce/credentials/credential_form.html",
                  {"form": form, "employee": employee, "credential": None}, status=400 if form.errors else 200)


@require_GET
@login_required
def credential_detail(request: HttpRequest, pk: int) -> HttpResponse:
    credential = _credential(request, pk)
    chain = selectors.renewal_chain(credential)
    _days_left([credential], practice_today())
    return render(request, "workforce/credentials/credential_detail.html", {
        "credential": credential, "employee": credential.employee, "chain": chain,
        "is_current": chain[0].pk == credential.pk, "today": practice_today(),
        "can_manage": services.reaches(request.user, Perm.WORKFORCE_MANAGE, credential.employee),
        "may_renew": services.may_renew(request.user, credential),
        "is_own": services.is_own(request.user, credential.employee)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def credential_edit(request: HttpRequest, pk: int) -> HttpResponse:
    credential = _credential(request, pk, Perm.WORKFORCE_MANAGE, include_self=False)
    form = CredentialForm(request.POST or None, request.FILES or None, instance=credential, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.credential_update(actor=request.user, credential=credential, data=form.data_for_service(),
                                       evidence=form.cleaned_data["evidence"] or None)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Credential saved."))
            return redirect("workforce:credential_detail", pk=credential.pk)
    return render(request, "workforce/credentials/credential_form.html",
                  {"form": form, "employee": credential.employee, "credential": credential},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_MANAGE)
def credential_verify(request: HttpRequest, pk: int) -> HttpResponse:
    credential = _credential(request, pk, Perm.WORKFORCE_MANAGE, include_self=False)
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.credential_verify(actor=request.user, credential=credential,
                                       method=form.cleaned_data["verification_method"],
                                       note=form.cleaned_data["verification_note"],
                                       evidence=form.cleaned_data["evidence"] or None)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Verification recorded."))
            return redirect("workforce:credential_detail", pk=credential.pk)
    return render(request, "workforce/credentials/verify_form.html",
                  {"form": form, "credential": credential, "employee": credential.employee},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def credential_renew(request: HttpRequest, pk: int) -> HttpResponse:
    credential = _credential(request, pk)
    if not services.may_renew(request.user, credential):
        raise deny(request, permission=Perm.WORKFORCE_MANAGE, object_type="workforce.employeecredential",
                   object_id=credential.pk)
    form = RenewalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            renewal = services.credential_renew(actor=request.user, credential=credential,
                                                data=form.data_for_service(),
                                                evidence=form.cleaned_data["evidence"] or None)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Renewal recorded. HR verifies it before it counts.")
                             if renewal.verified_at is None else _("Renewal recorded."))
            return redirect("workforce:credential_detail", pk=renewal.pk)
    return render(request, "workforce/credentials/renew_form.html",
                  {"form": form, "credential": credential, "employee": credential.employee},
                  status=400 if form.errors else 200)


@require_GET
@login_required
def credential_evidence(request: HttpRequest, pk: int) -> FileResponse:
    credential = _credential(request, pk)
    if not credential.evidence:
        raise Http404()
    try:
        handle: Any = credential.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    services.evidence_opened(actor=request.user, credential=credential)
    extension = (credential.evidence.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True, content_type=services.evidence_content_type(credential),
                            filename=f"credential-{credential.pk}-{credential.credential_type.code}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
