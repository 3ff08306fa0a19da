"""The scrubber's rules: the built-in checks and the practice's own rules (list, add, edit, switch off/on).

Rules are practice-wide: billing.view to read them, billing.manage at every location to change them (a biller of
one location gets the 404 of a page out of role, and the refusal is audited). The form explains the rule in
one sentence as it is typed (htmx asks this same view for `?explain=1` and swaps in the sentence).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..forms_rules import ScrubRuleForm
from ..models import ScrubRule
from ..selectors import rules as selectors
from ..services import rules as services
from ..services.authorization import authorize_practice_wide

STATUSES = ("active", "inactive", "all")


def _may_change(request: HttpRequest, action: str, rule: ScrubRule | None = None) -> None:
    """Rules check every location's claims: refuse (audited, 404) unless billing.manage everywhere."""
    try:
        authorize_practice_wide(actor=request.user, action=action, target=rule)
    except PermissionDenied as exc:
        raise Http404() from exc


def _explanation(request: HttpRequest) -> HttpResponse | None:
    """The live sentence for the form as typed so far (htmx), or None for an ordinary request."""
    if "explain" not in request.GET:
        return None
    return render(request, "billing/rule_explanation.html", {"explanation": ScrubRuleForm(request.GET).explanation()})


RULE_EXPORT = Export(name="scrubber rules", object_type="billing.scrubrule", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("What it does"), selectors.rule_explanation),
    Column(gettext_lazy("Message for the biller"), "message"),
    Column(gettext_lazy("How to fix"), "fix_hint"),
    Column(gettext_lazy("Severity"), "get_severity_display"),
    Column(gettext_lazy("Status"), lambda rule: _("Active") if rule.is_active else _("Switched off")),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def rule_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "active"
    if status not in STATUSES:
        status = "active"
    rows = table(request, selectors.rule_list(actor=request.user, status=status),
                 sorts={"name": "name", "payer": "payer__name", "code": "procedure_code", "severity": "severity"},
                 default_sort="name", search_fields=("name", "procedure_code", "message", "payer__name"),
                 element_id="rule-table")
    for rule in rows.page.object_list:
        rule.explanation = selectors.rule_explanation(rule)
    return render_table(request, "billing/rule_list.html", {
        "table": rows, "table_template": "billing/rule_table.html", "filter_template": "core/_status_filter.html",
        "status": status, "can_manage": has_all_locations(request.user, Perm.BILLING_MANAGE),
        "builtin_checks": selectors.builtin_checks(), "export": RULE_EXPORT,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def rule_create(request: HttpRequest) -> HttpResponse:
    _may_change(request, "billing.scrub_rule_create")
    if (partial := _explanation(request)) is not None:
        return partial
    form = ScrubRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.scrub_rule_create(
                actor=request.user, data={name: form.cleaned_data[name] for name in services.RULE_FIELDS})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rule “%(name)s” added: it applies from the next scrub.") % {"name": rule.name})
            return redirect(reverse("billing:rule_list"))
    return render(request, "billing/rule_form.html", {"form": form, "rule": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule: ScrubRule = get_scoped_or_404(request, selectors.rule_list(actor=request.user), permission=Perm.BILLING_MANAGE,
                                        pk=pk)
    _may_change(request, "billing.scrub_rule_update", rule)
    if (partial := _explanation(request)) is not None:
        return partial
    action = request.POST.get("action") if request.method == "POST" else None
    if action in ("deactivate", "activate"):
        try:
            if action == "deactivate":
                services.scrub_rule_deactivate(actor=request.user, rule=rule)
                messages.success(request, _("Rule “%(name)s” switched off.") % {"name": rule.name})
            else:
                services.scrub_rule_update(actor=request.user, rule=rule, data={"is_active": True})
                messages.success(request, _("Rule “%(name)s” switched on again.") % {"name": rule.name})
        except PermissionDenied as exc:
            raise Http404() from exc
        return redirect(reverse("billing:rule_list"))
    form = ScrubRuleForm(request.POST or None, instance=selectors.rule_list(actor=request.user).get(pk=rule.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.scrub_rule_update(actor=request.user, rule=rule,
                                       data={name: form.cleaned_data[name] for name in form.changed_data})
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rule saved."))
            return redirect(reverse("billing:rule_list"))
    return render(request, "billing/rule_form.html", {"form": form, "rule": rule},
                  status=400 if form.errors else 200)
