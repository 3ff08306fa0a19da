"""The page a reminder email's confirm / cancel link opens. No sign-in: the signed link is the key, and it
opens one appointment only. GET shows the visit (date and time, location, provider — nothing else) and a
button; only the POST changes anything, so a mail scanner that fetches links confirms or cancels nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import reminders
from .selectors import practice_zone


def _error(request: HttpRequest, exc: reminders.ReminderLinkError) -> HttpResponse:
    return render(request, "scheduling/reminders/link_error.html", {"message": exc.message}, status=exc.status)


@never_cache
@require_http_methods(["GET", "POST"])
def reminder_respond(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            link = reminders.appointment_respond(token=token)
            done = True
        else:
            link = reminders.reminder_link_read(token=token)
            reminders.reminder_link_viewed(link=link)
            done = False
    except reminders.ReminderLinkError as exc:
        return _error(request, exc)
    return render(request, "scheduling/reminders/respond.html", {
        "appointment": link.appointment, "action": link.action, "done": done,
        "starts_at": link.appointment.starts_at.astimezone(practice_zone()),
    })
