"""Acknowledgement pages: starting a campaign on a published version, its progress (per person), reminders,
closing it; the per-person report; and the self-service "My policies" with the attestation.

compliance.manage starts, reminds and closes; compliance.view reads progress and reports. A person reaches only
their own requests (404, audited, for anyone else's — whatever their role).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, login_required, permission_required

from ..choices import VersionStatus
from ..forms_policies import AcknowledgeForm, CampaignForm
from ..models import AcknowledgementCampaign, AcknowledgementRequest
from ..selectors import policies as selectors
from ..services import acknowledgements as services


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def version_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_scoped_or_404(request, selectors.versions_visible(actor=request.user),
                                permission=Perm.COMPLIANCE_MANAGE, pk=pk)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.campaign_start(
                actor=request.user, version=version, audience=data["audience"], due_on=data["due_on"],
                roles=data["roles"], locations=data["locations"], attestation=data["attestation"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign started: %(count)s person(s) asked.") % {"count": result.asked})
            return redirect(reverse("compliance:campaign_detail", args=[result.campaign.pk]))
    return render(request, "compliance/policies/campaign_form.html", {
        "form": form, "version": version, "published": version.status == VersionStatus.PUBLISHED,
    }, status=400 if form.errors else 200)


def _campaign(request: HttpRequest, pk: int) -> AcknowledgementCampaign:
    return get_scoped_or_404(request, selectors.campaigns_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return render(request, "compliance/policies/campaign_detail.html", {
        "campaign": campaign, "version": campaign.version, "policy": campaign.version.policy,
        "people": list(selectors.campaign_people(campaign)),
        "percent": selectors.percent(campaign.acknowledged, campaign.asked),  # type: ignore[attr-defined]
        "locations": list(campaign.locations.order_by("name")), "today": practice_today(),
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


@require_POST
@permission_required(Perm.COMPLIANCE_MANAGE)
def campaign_remind(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        count = services.campaign_remind(actor=request.user, campaign=campaign)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(count)s person(s) reminded.") % {"count": count})
    return redirect(reverse("compliance:campaign_detail", args=[campaign.pk]))


@require_POST
@permission_required(Perm.COMPLIANCE_MANAGE)
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        services.campaign_close(actor=request.user, campaign=campaign)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Campaign closed."))
    return redirect(reverse("compliance:campaign_detail", args=[campaign.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def user_policy_report(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(request, selectors.users_visible(actor=request.user),
                               permission=Perm.COMPLIANCE_VIEW, pk=pk)
    return render(request, "compliance/policies/person_report.html", {
        "report": selectors.person_report(person=person), "today": practice_today(),
    })


# --- self-service ----------------------------------------------------------------------------------------------


@require_GET
@login_required
def my_policies(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/policies/mine.html", {
        "mine": selectors.my_policies(actor=request.user), "today": practice_today(),
    })


def _own_request(request: HttpRequest, pk: int) -> AcknowledgementRequest:
    return get_scoped_or_404(request, selectors.requests_own(actor=request.user), permission="self", pk=pk)


def _render_request(request: HttpRequest, ack_request: AcknowledgementRequest, form: AcknowledgeForm,
                    status: int = 200) -> HttpResponse:
    version = ack_request.campaign.version
    return render(request, "compliance/policies/ackrequest_detail.html", {
        "ack_request": ack_request, "campaign": ack_request.campaign, "version": version,
        "policy": version.policy, "attachments": list(version.attachments.all()), "form": form,
        "in_force": version.status == VersionStatus.PUBLISHED and version.policy.retired_at is None,
        "today": practice_today(),
    }, status=status)


@require_GET
@login_required
def ackrequest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_request(request, _own_request(request, pk), AcknowledgeForm())


@require_POST
@login_required
def ackrequest_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    ack_request = _own_request(request, pk)
    form = AcknowledgeForm(request.POST)
    try:
        _ack, created = services.acknowledge(actor=request.user, request=ack_request,
                                             attested=form.is_valid() and form.cleaned_data["attested"])
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        form.errors.clear()
        add_service_errors(form, exc)
        return _render_request(request, ack_request, form, status=400)
    if created:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    else:
        messages.info(request, _("You had already acknowledged this version; nothing changed."))
    return redirect(reverse("compliance:policy_mine"))
