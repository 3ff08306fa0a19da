"""Routing rules and queues pages (frontdesk.configure).

- rule_list: every rule in the order it is tried, with what it matched so far; up/down buttons (rule_move, POST)
  and edit links for the rules the actor may change (at their locations; practice-wide ones need every location).
- rule_create / rule_edit: the rule form with clear errors; deactivating is unticking "Active". Its "Test on
  recent messages" button (rule_preview, POST, an htmx partial or the whole page without JavaScript) routes the
  last 200 messages the actor may see with the saved rules and with the form's unsaved rule, and shows which would
  go elsewhere.
- queue_list / queue_create / queue_edit: queues with members and leads, service levels, signature, reply address,
  default flag. A rule or queue out of the actor's reach is not found (404, audited) and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, run_service

from . import selectors_rules
from .forms_rules import QueueForm, RuleForm
from .models import Queue, RoutingRule
from .services import queues as queue_services
from .services import rules as rule_services

CONFIGURE = Perm.FRONTDESK_CONFIGURE
# Rows are (place in the order the rules are tried, selectors_rules.RuleRow), as the list numbers them.
RULE_EXPORT = Export(name="routing rules", object_type="frontdesk.routingrule", columns=[
    Column(gettext_lazy("Order"), lambda pair: pair[0]),
    Column(gettext_lazy("Rule"), lambda pair: pair[1].rule.name),
    Column(gettext_lazy("When"), lambda pair: "; ".join(pair[1].conditions)),
    Column(gettext_lazy("Then"), lambda pair: "; ".join(pair[1].actions)),
    Column(gettext_lazy("Matched"), lambda pair: pair[1].rule.matched_count),
    Column(gettext_lazy("Active"), lambda pair: pair[1].rule.is_active),
])


def _worked_by(queue: Queue) -> str:
    people = [f"{m.user.display_name} ({_('lead')})" if m.is_lead else m.user.display_name
              for m in queue.memberships.all()]
    role = [_("Role: %(role)s") % {"role": queue.get_role_display()}] if queue.role else []
    return ", ".join([*role, *people])


QUEUE_EXPORT = Export(name="queues", object_type="frontdesk.queue", columns=[
    Column(gettext_lazy("Queue"), "queue.name"),
    Column(gettext_lazy("Default"), "queue.is_default"),
    Column(gettext_lazy("Reply address"), "queue.reply_address"),
    Column(gettext_lazy("Worked by"), lambda row: _worked_by(row.queue)),
    Column(gettext_lazy("Location"), lambda row: row.queue.location.name if row.queue.location else _("Practice-wide")),
    Column(gettext_lazy("First response (min)"), "queue.first_response_minutes"),
    Column(gettext_lazy("Resolve (min)"), "queue.resolve_minutes"),
    Column(gettext_lazy("Open"), "queue.open_count"),
    Column(gettext_lazy("Active"), "queue.is_active"),
])

# --- rules ------------------------------------------------------------------------------------------------------


@require_GET
@permission_required(CONFIGURE)
def rule_list(request: HttpRequest) -> HttpResponse:
    rows = selectors_rules.rule_rows(actor=request.user)
    if export_format(request):
        return export_response(request, list(enumerate(rows, start=1)), RULE_EXPORT)
    return render(request, "frontdesk/rules/rule_list.html", {"rows": rows})


def _rule(request: HttpRequest, pk: int) -> RoutingRule:
    return get_scoped_or_404(request, selectors_rules.rules_configurable(actor=request.user), permission=CONFIGURE,
                             pk=pk)


def _rule_page(request: HttpRequest, form: RuleForm, rule: RoutingRule | None,
               preview: selectors_rules.Preview | None = None) -> HttpResponse:
    return render(request, "frontdesk/rules/rule_form.html", {
        "form": form, "rule": rule, "preview": preview,
        "preview_limit": selectors_rules.PREVIEW_LIMIT,
    }, status=400 if form.errors else 200)


def _save_rule(request: HttpRequest, form: RuleForm, rule: RoutingRule | None) -> bool:
    saved: list[RoutingRule] = []
    if run_service(form, lambda: saved.append(rule_services.rule_save(actor=request.user, rule=rule,
                                                                        **form.service_fields()))):
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved[0].name})
        return True
    return False


@require_http_methods(["GET", "POST"])
@permission_required(CONFIGURE)
def rule_create(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, None):
        return redirect(reverse("frontdesk:rule_list"))
    return _rule_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(CONFIGURE)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    form = RuleForm(request.POST or None, actor=request.user, rule=rule)
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, rule):
        return redirect(reverse("frontdesk:rule_list"))
    return _rule_page(request, form, rule)


@require_POST
@permission_required(CONFIGURE)
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    direction = request.POST.get("direction", "")
    try:
        rule_services.rule_move(actor=request.user, rule=rule, direction=direction)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("frontdesk:rule_list") + f"#rule-{rule.pk}")


@require_POST
@permission_required(CONFIGURE)
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The form's rule, unsaved, tried on recent messages. With htmx only the preview part is answered."""
    rule_id = request.POST.get("rule", "")
    rule = _rule(request, int(rule_id)) if rule_id.isdigit() else None
    form = RuleForm(request.POST, actor=request.user, rule=rule)
    preview = None
    if form.is_valid():
        try:
            draft = rule_services.rule_build(rule=rule, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            preview = selectors_rules.rule_preview(actor=request.user, draft=draft)
    htmx = getattr(request, "htmx", None)
    if htmx:
        return render(request, "frontdesk/rules/_preview.html", {
            "form": form, "preview": preview, "preview_limit": selectors_rules.PREVIEW_LIMIT,
        }, status=200)
    return _rule_page(request, form, rule, preview)


# --- queues -----------------------------------------------------------------------------------------------------


@require_GET
@permission_required(CONFIGURE)
def queue_list(request: HttpRequest) -> HttpResponse:
    rows = selectors_rules.queue_rows(actor=request.user)
    if export_format(request):
        return export_response(request, rows, QUEUE_EXPORT)
    return render(request, "frontdesk/queues/queue_list.html", {"rows": rows})


def _queue_page(request: HttpRequest, form: QueueForm, queue: Queue | None) -> HttpResponse:
    return render(request, "frontdesk/queues/queue_form.html", {"form": form, "queue": queue},
                  status=400 if form.errors else 200)


def _save_queue(request: HttpRequest, form: QueueForm, queue: Queue | None) -> bool:
    data: dict[str, Any] = form.service_fields()
    saved: list[Queue] = []

    def call() -> None:
        if queue is None:
            saved.append(queue_services.queue_create(actor=request.user, **data))
        else:
            saved.append(queue_services.queue_update(actor=request.user, queue=queue, **data))

    if run_service(form, call):
        messages.success(request, _("Queue “%(name)s” saved.") % {"name": saved[0].name})
        return True
    return False


@require_http_methods(["GET", "POST"])
@permission_required(CONFIGURE)
def queue_create(request: HttpRequest) -> HttpResponse:
    form = QueueForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid() and _save_queue(request, form, None):
        return redirect(reverse("frontdesk:queue_list"))
    return _queue_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(CONFIGURE)
def queue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    queue = get_scoped_or_404(request, selectors_rules.queues_configurable(actor=request.user), permission=CONFIGURE,
                              pk=pk)
    form = QueueForm(request.POST or None, actor=request.user, queue=queue)
    if request.method == "POST" and form.is_valid() and _save_queue(request, form, queue):
        return redirect(reverse("frontdesk:queue_list"))
    return _queue_page(request, form, queue)
