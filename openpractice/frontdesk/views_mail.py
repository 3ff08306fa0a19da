"""Mail pages: mailbox settings (frontdesk.configure where the mailbox is) and attachment downloads (anyone who
may see the attachment's message).

- mailbox_list / mailbox_create / mailbox_edit: the practice addresses whose mail lands in the queues; the IMAP
  password is write-only. A mailbox out of the actor's reach is not found (404, audited).
- mailbox_poll (POST, "Check now"): reads the mailbox at once and says how many mails came in, or what failed.
- attachment_download: the file as an attachment (never shown inline), typed as its bytes were checked to be,
  nosniff, not cached; each download audited. Out of reach: 404, audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import get_scoped_or_404, login_required, permission_required, run_service

from . import selectors_mail
from .forms_mail import MailboxForm
from .models import Mailbox
from .services import mail_attachments, mailboxes

VISIBLE = "frontdesk message visibility"


def _mailbox_status(mailbox: Mailbox) -> str:
    if not mailbox.is_active:
        return str(_("Inactive"))
    return f"{_('Error')}: {mailbox.last_error}" if mailbox.last_error else str(_("Active"))


MAILBOX_EXPORT = Export(name="mailboxes", object_type="frontdesk.mailbox", columns=[
    Column(gettext_lazy("Mailbox"), "name"),
    Column(gettext_lazy("Address"), "address"),
    Column(gettext_lazy("Location"), lambda mailbox: mailbox.location.name if mailbox.location else _("Practice-wide")),
    Column(gettext_lazy("Read by"), lambda mailbox: f"IMAP {mailbox.imap_host}:{mailbox.imap_port}" if mailbox.imap_host
           else _("SMTP endpoint")),
    Column(gettext_lazy("Last checked"), "last_polled_at"),
    Column(gettext_lazy("Status"), _mailbox_status),
])


@require_GET
@permission_required(Perm.FRONTDESK_CONFIGURE)
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = selectors_mail.mailboxes_configurable(actor=request.user)
    if export_format(request):
        return export_response(request, mailboxes, MAILBOX_EXPORT)
    return render(request, "frontdesk/mail/mailbox_list.html", {"mailboxes": list(mailboxes)})


def _form_page(request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None) -> HttpResponse:
    return render(request, "frontdesk/mail/mailbox_form.html", {"form": form, "mailbox": mailbox},
                  status=400 if form.errors else 200)


def _save(request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None) -> bool:
    data: dict[str, Any] = dict(form.cleaned_data)
    password = data.pop("imap_password", "")
    saved: list[Mailbox] = []
    if run_service(form, lambda: saved.append(mailboxes.mailbox_save(actor=request.user, mailbox=mailbox,
                                                                       password=password, **data))):
        messages.success(request, _("Mailbox %(address)s saved.") % {"address": saved[0].address})
        return True
    return False


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_CONFIGURE)
def mailbox_create(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        return redirect(reverse("frontdesk:mailbox_list"))
    return _form_page(request, form, None)


def _mailbox(request: HttpRequest, pk: int) -> Mailbox:
    return get_scoped_or_404(request, selectors_mail.mailboxes_configurable(actor=request.user),
                             permission=Perm.FRONTDESK_CONFIGURE, pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.FRONTDESK_CONFIGURE)
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _mailbox(request, pk)
    form = MailboxForm(request.POST or None, actor=request.user, mailbox=mailbox)
    if request.method == "POST" and form.is_valid() and _save(request, form, mailbox):
        return redirect(reverse("frontdesk:mailbox_list"))
    return _form_page(request, form, mailbox)


@require_POST
@permission_required(Perm.FRONTDESK_CONFIGURE)
def mailbox_poll(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _mailbox(request, pk)
    try:
        received = mailboxes.mailbox_check_now(actor=request.user, mailbox=mailbox)
    except PermissionDenied as exc:
        raise Http404() from exc
    if mailbox.last_error:
        messages.error(request, _("%(address)s could not be read: %(error)s") % {
            "address": mailbox.address, "error": mailbox.last_error})
    else:
        messages.success(request, _("%(address)s checked: %(count)s new mail.") % {
            "address": mailbox.address, "count": received})
    return redirect(reverse("frontdesk:mailbox_list"))


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_scoped_or_404(request, selectors_mail.attachments_visible(actor=request.user),
                                   permission=VISIBLE, pk=pk)
    try:
        handle: Any = mail_attachments.attachment_open(attachment)
    except FileNotFoundError as exc:
        raise Http404() from exc
    message = attachment.entry.message
    mail_attachments.attachment_downloaded(actor=request.user, attachment=attachment, message_id=message.pk,
                                           patient_id=message.patient_id, location_id=message.location_id)
    response = FileResponse(handle, as_attachment=True, content_type=attachment.content_type,
                            filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
