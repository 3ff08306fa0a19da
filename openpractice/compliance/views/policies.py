"""Policy library pages: the library, a policy with its version in force, history and campaigns, creating and
editing, the review workflow, attachments, and the policies due for review.

compliance.view lists and reads everything (drafts too); compliance.manage changes. Every signed-in user reads the
versions in force (staff must be able to read the policies they follow); anything else answers 404, audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import (
    add_service_errors,
    get_scoped_or_404,
    login_required,
    permission_required,
    render_table,
    table,
)

from ..choices import PolicyCategory, VersionStatus
from ..forms_policies import AttachmentForm, PolicyCreateForm, PolicyForm, VersionForm
from ..models import Policy, PolicyAttachment, PolicyVersion
from ..selectors import policies as selectors
from ..services import policies as services

POLICY_SORTS = {"title": "title", "category": "category", "owner": "owner__last_name", "review": "next_review_on"}
POLICY_EXPORT = Export(name="policies", object_type="compliance.policy", columns=[
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Category"), "get_category_display"),
    Column(gettext_lazy("Owner"), "owner.display_name"),
    Column(gettext_lazy("Version in force"), "current_number"),
    Column(gettext_lazy("In force since"), "current_effective_on"),
    Column(gettext_lazy("Version in progress"), "progress_number"),
    Column(gettext_lazy("Version in progress status"),
           lambda policy: VersionStatus(policy.progress_status).label if policy.progress_status else ""),
    Column(gettext_lazy("Next review"), "next_review_on"),
    Column(gettext_lazy("Retired"), "retired_at"),
])
REVIEW_DUE_EXPORT = Export(name="policies due for review", object_type="compliance.policyversion", columns=[
    Column(gettext_lazy("Policy"), "policy.title"),
    Column(gettext_lazy("Owner"), "policy.owner.display_name"),
    Column(gettext_lazy("Version"), "number"),
    Column(gettext_lazy("Next review"), "next_review_on"),
])


def _policy(request: HttpRequest, pk: int) -> Policy:
    return get_scoped_or_404(request, selectors.policies_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


def _version(request: HttpRequest, pk: int) -> PolicyVersion:
    return get_scoped_or_404(request, selectors.versions_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def policy_list(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category") or ""
    if category not in PolicyCategory.values:
        category = ""
    status = request.GET.get("status") or ""
    if status not in VersionStatus.values:
        status = ""
    rows = table(request, selectors.policy_list(actor=request.user, category=category, status=status),
                 sorts=POLICY_SORTS, default_sort="title", search_fields=("title",), element_id="policy-table")
    return render_table(request, "compliance/policies/policy_list.html", {
        "table": rows, "table_template": "compliance/policies/policy_table.html",
        "filter_template": "compliance/policies/policy_filter.html", "category": category, "status": status,
        "export": POLICY_EXPORT,
        "categories": PolicyCategory.choices, "statuses": VersionStatus.choices,
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE), "today": practice_today(),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def policy_create(request: HttpRequest) -> HttpResponse:
    form = PolicyCreateForm(request.POST or None, initial={"owner": request.user.pk, "review_months": 12})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.policy_create(
                actor=request.user, data={name: data[name] for name in services.POLICY_FIELDS},
                version={name: data[name] for name in services.VERSION_FIELDS})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Policy “%(title)s” created with a first draft.") % {"title": policy.title})
            return redirect(reverse("compliance:policy_detail", args=[policy.pk]))
    return render(request, "compliance/policies/policy_form.html", {"form": form, "policy": None},
                  status=400 if form.errors else 200)


@require_GET
@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    may_view = can(request.user, Perm.COMPLIANCE_VIEW)
    return render(request, "compliance/policies/policy_detail.html", {
        "policy": policy, "current": selectors.current_version(policy), "may_view": may_view,
        "in_progress": selectors.in_progress_version(policy) if may_view else None,
        "history": list(selectors.version_history(policy)) if may_view else [],
        "campaigns": selectors.policy_campaigns(actor=request.user, policy=policy),
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE), "today": practice_today(),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    form = PolicyForm(request.POST or None, initial={"title": policy.title, "category": policy.category,
                                                     "owner": policy.owner_id,
                                                     "review_months": policy.review_months})
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, policy=policy,
                                   data={name: form.cleaned_data[name] for name in services.POLICY_FIELDS})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Policy saved."))
            return redirect(reverse("compliance:policy_detail", args=[policy.pk]))
    return render(request, "compliance/policies/policy_form.html", {"form": form, "policy": policy},
                  status=400 if form.errors else 200)


def _post_action(request: HttpRequest, call: Callable[[], Any], success: str, target: str) -> HttpResponse:
    """Run a workflow service: a refusal is a 404, a rule broken is a message."""
    try:
        call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(target)


@require_POST
@permission_required(Perm.COMPLIANCE_MANAGE)
def policy_retire(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    return _post_action(request, lambda: services.policy_retire(actor=request.user, policy=policy),
                        _("Policy retired."), reverse("compliance:policy_detail", args=[policy.pk]))


@require_POST
@permission_required(Perm.COMPLIANCE_MANAGE)
def policy_version_new(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    try:
        draft = services.version_new(actor=request.user, policy=policy)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("compliance:policy_detail", args=[policy.pk]))
    messages.success(request, _("Version %(number)s started as a copy of the current text.") % {"number": draft.number})
    return redirect(reverse("compliance:version_edit", args=[draft.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def review_due(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    versions = selectors.review_due(actor=request.user, today=today)
    if export_format(request):
        return export_response(request, versions, REVIEW_DUE_EXPORT)
    return render(request, "compliance/policies/review_due.html", {
        "versions": list(versions), "today": today,
        "horizon": selectors.REVIEW_HORIZON_DAYS,
    })


# --- versions ------------------------------------------------------------------------------------------------


@require_GET
@login_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    return render(request, "compliance/policies/version_detail.html", {
        "version": version, "policy": version.policy, "attachments": list(version.attachments.all()),
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE), "may_view": can(request.user, Perm.COMPLIANCE_VIEW),
        "is_author": version.author_id == request.user.pk,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(reverse("compliance:version_detail", args=[version.pk]))
    form = VersionForm(request.POST or None, initial={"body_html": version.body_html,
                                                      "change_summary": version.change_summary,
                                                      "effective_on": version.effective_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.version_update(actor=request.user, version=version,
                                    data={name: form.cleaned_data[name] for name in services.VERSION_FIELDS})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(reverse("compliance:version_detail", args=[version.pk]))
    return render(request, "compliance/policies/version_form.html", {"form": form, "version": version},
                  status=400 if form.errors else 200)


def _workflow(service: Callable[..., Any], success: str) -> Callable[[HttpRequest, int], HttpResponse]:
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        version = _version(request, pk)
        return _post_action(request, lambda: service(actor=request.user, version=version), success,
                            reverse("compliance:version_detail", args=[version.pk]))

    return view


version_submit = require_POST(permission_required(Perm.COMPLIANCE_MANAGE)(
    _workflow(services.version_submit, _("Sent for review."))))
version_return = require_POST(permission_required(Perm.COMPLIANCE_MANAGE)(
    _workflow(services.version_return, _("Sent back to draft."))))
version_approve = require_POST(permission_required(Perm.COMPLIANCE_MANAGE)(
    _workflow(services.version_approve, _("Version approved."))))
version_publish = require_POST(permission_required(Perm.COMPLIANCE_MANAGE)(
    _workflow(services.version_publish, _("Version published; the previous version is retired."))))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def version_attach(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_add(actor=request.user, version=version, title=form.cleaned_data["title"],
                                    upload=form.cleaned_data["file"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("File attached."))
            return redirect(reverse("compliance:version_detail", args=[version.pk]))
    return render(request, "compliance/policies/attach.html", {"form": form, "version": version},
                  status=400 if form.errors else 200)


# --- attachments ---------------------------------------------------------------------------------------------


def _attachment(request: HttpRequest, pk: int) -> PolicyAttachment:
    return get_scoped_or_404(request, selectors.attachments_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _attachment(request, pk)
    try:
        handle: Any = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    services.attachment_opened(actor=request.user, attachment=attachment)
    extension = (attachment.file.name or "").rsplit(".", 1)[-1]
    response = FileResponse(handle, as_attachment=True, content_type=services.attachment_content_type(attachment),
                            filename=f"policy-{attachment.version.policy_id}-v{attachment.version.number}-"
                                     f"{attachment.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(Perm.COMPLIANCE_MANAGE)
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment(request, pk)
    return _post_action(request, lambda: services.attachment_remove(actor=request.user, attachment=attachment),
                        _("File removed."), reverse("compliance:version_detail", args=[attachment.version_id]))
