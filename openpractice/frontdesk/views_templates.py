"""Reply templates (frontdesk.configure): the list, a new template, a change. Templates are practice-wide and
hold no patient details; the reply form offers the active ones to everyone who replies."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import permission_required, run_service

from . import selectors_queue
from .forms_queue import ReplyTemplateForm
from .models import ReplyTemplate
from .services.templates import PLACEHOLDERS, reply_template_save

TEMPLATE_EXPORT = Export(name="reply templates", object_type="frontdesk.replytemplate", columns=[
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("For category"), lambda template: template.get_category_display() or _("Any")),
    Column(gettext_lazy("Subject"), lambda template: template.subject or _("Re: the message's subject")),
    Column(gettext_lazy("In use"), "is_active"),
])


@require_GET
@permission_required(Perm.FRONTDESK_CONFIGURE)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = selectors_queue.reply_templates_all(actor=request.user)
    if export_format(request):
        return export_response(request, templates, TEMPLATE_EXPORT)
    return render(request, "frontdesk/templates_/template_list.html", {"templates": list(templates)})


def _form_page(request: HttpRequest, form: ReplyTemplateForm, template: ReplyTemplate | None) -> HttpResponse:
    return render(request, "frontdesk/templates_/template_form.html", {
        "form": form, "template": template, "placeholders": [f"{{{name}}}" for name in PLACEHOLDERS],
    }, status=400 if form.errors else 200)


def _save(request: HttpRequest, form: ReplyTemplateForm, template: ReplyTemplate | None) -> bool:
    data: dict[str, Any] = form.cleaned_data
    saved: list[ReplyTemplate] = []
    if run_service(form, lambda: saved.append(reply_template_save(
            actor=request.user, template=template, name=data["name"], category=data["category"],
            subject=data["subject"], body=data["body"], is_active=data["is_active"]))):
        messages.success(request, _("Template “%(name)s” saved.") % {"name": saved[0].name})
        return True
    return False


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_CONFIGURE)
def template_create(request: HttpRequest) -> HttpResponse:
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        return redirect("frontdesk:template_list")
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_CONFIGURE)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors_queue.reply_templates_all(actor=request.user).filter(pk=pk).first()
    if template is None:
        raise Http404()
    form = ReplyTemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid() and _save(request, form, template):
        return redirect("frontdesk:template_list")
    return _form_page(request, form, template)
