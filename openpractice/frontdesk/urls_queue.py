"""Front desk routes (queue); included by urls.py."""

from django.urls import URLPattern, path

from . import views_queue, views_templates

urlpatterns: list[URLPattern] = [
    path("", views_queue.queue_home, name="queue_home"),
    path("queues/<int:pk>/", views_queue.queue_detail, name="queue_detail"),
    path("messages/<int:pk>/", views_queue.message_detail, name="message_detail"),
    path("messages/<int:pk>/claim/", views_queue.message_claim, name="message_claim"),
    path("messages/<int:pk>/assign/", views_queue.message_assign, name="message_assign"),
    path("messages/<int:pk>/forward/", views_queue.message_forward, name="message_forward"),
    path("messages/<int:pk>/note/", views_queue.message_note, name="message_note"),
    path("messages/<int:pk>/priority/", views_queue.message_priority, name="message_priority"),
    path("messages/<int:pk>/close/", views_queue.message_close, name="message_close"),
    path("messages/<int:pk>/reopen/", views_queue.message_reopen, name="message_reopen"),
    path("messages/<int:pk>/reply/", views_queue.message_reply, name="message_reply"),
    path("messages/<int:pk>/reply/fill/", views_queue.message_reply_fill, name="message_reply_fill"),
    path("templates/", views_templates.template_list, name="template_list"),
    path("templates/new/", views_templates.template_create, name="template_create"),
    path("templates/<int:pk>/", views_templates.template_edit, name="template_edit"),
]
