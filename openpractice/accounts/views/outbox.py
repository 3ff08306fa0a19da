"""Demo mode's Outbox: the mail the app "sent" (stored by core.mail.OutboxEmailBackend), so that invitation
and password-reset links can be followed without a mail server. Outside demo mode it does not exist (404)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from openpractice.accounts import selectors
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, table


def _demo_only() -> None:
    if not settings.DEMO_MODE:
        raise Http404()


# What the list shows: when, to whom, the subject (never the body: links in it sign people in).
OUTBOX_EXPORT = Export(name="outbox", object_type="core.outboxmessage", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Sent"), "created_at"),
    Column(gettext_lazy("To"), "recipient_list"),
    Column(gettext_lazy("Subject"), "subject"),
])


@require_GET
@permission_required(Perm.OUTBOX_VIEW)
def outbox_list(request: HttpRequest) -> HttpResponse:
    _demo_only()
    rows = table(
        request, selectors.outbox_list(actor=request.user),
        sorts={"sent": "created_at", "subject": "subject"}, default_sort="-sent",
        search_fields=("subject", "recipients", "body"), element_id="outbox-table",
    )
    return render_table(request, "accounts/outbox/list.html",
                        {"table": rows, "table_template": "accounts/outbox/_table.html", "export": OUTBOX_EXPORT})


@require_GET
@permission_required(Perm.OUTBOX_VIEW)
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _demo_only()
    message = get_scoped_or_404(request, selectors.outbox_list(actor=request.user), permission=Perm.OUTBOX_VIEW,
                                pk=pk)
    return render(request, "accounts/outbox/detail.html", {"message": message})
