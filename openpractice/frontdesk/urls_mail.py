"""Front desk routes (mail); included by urls.py. Mailboxes: frontdesk.configure (where the mailbox is);
attachments: anyone who may see the message (selectors_messages)."""

from django.urls import URLPattern, path

from . import views_mail

urlpatterns: list[URLPattern] = [
    path("mailboxes/", views_mail.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views_mail.mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/edit/", views_mail.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/check/", views_mail.mailbox_poll, name="mailbox_poll"),
    path("attachments/<int:pk>/", views_mail.attachment_download, name="attachment_download"),
]
