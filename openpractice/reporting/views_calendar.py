"""The compliance calendar pages: the calendar (month grid or agenda list, with filters), the person's feed address
(create / regenerate, stop) and digest setting, and the feed itself.

Every signed-in person may open the calendar: each source is filtered by its own permission (reporting.calendar),
and someone whose roles open none sees an empty calendar that says so. The feed answers to its secret address
alone (no session): an unknown, revoked or deactivated person's address is a plain 404, the same in every case.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from openpractice.core.selectors import practice_today
from openpractice.core.web import login_required

from . import selectors_calendar as selectors
from . import services_calendar as services
from .forms_calendar import AGENDA_VIEW, CalendarFilterForm, DigestForm


def _private(response: HttpResponse) -> HttpResponse:
    """The feed address is a secret: never cached by a proxy, never sent on to another site."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _settings_context(request: HttpRequest) -> dict[str, object]:
    enabled = selectors.digest_enabled(actor=request.user)
    return {"feed": selectors.feed_live(actor=request.user),
            "digest_enabled": enabled,
            "digest_form": DigestForm(initial={"enabled": "on" if enabled else "off"})}


@require_GET
@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    data = request.GET.copy()
    # The defaults written into the form, so its date fields show the range the page shows.
    if data.get("view") == AGENDA_VIEW:
        data.setdefault("start", (today - dt.timedelta(days=selectors.AGENDA_PAST_DAYS)).isoformat())
        data.setdefault("end", (today + dt.timedelta(days=selectors.AGENDA_FUTURE_DAYS)).isoformat())
    else:
        data.setdefault("month", today.strftime("%Y-%m"))
    form = CalendarFilterForm(data, locations=selectors.calendar_locations(actor=request.user), today=today)
    context: dict[str, object] = {"form": form, "today": today, "due_soon_days": selectors.DUE_SOON_DAYS,
                                  **_settings_context(request)}
    if not form.is_valid():
        return render(request, "reporting/calendar/calendar.html", context, status=400)
    # The filters kept when moving between months and views (each view has its own dates).
    params: dict[str, str] = {key: str(value) for key, value in request.GET.items()
                              if key not in ("view", "month", "start", "end")}
    if form.chosen_view == AGENDA_VIEW:
        result = selectors.calendar_items(actor=request.user, today=today, filters=form.filters(
            start=form.cleaned_data["start"], end=form.cleaned_data["end"]))
        context.update(view="agenda", result=result, days=selectors.agenda_days(result.items))
    else:
        month = selectors.month_grid(first=form.cleaned_data["month"], today=today)
        result = selectors.calendar_items(actor=request.user, today=today,
                                          filters=form.filters(start=month.start, end=month.end))
        selectors.month_fill(month, result.items)
        context.update(
            view="month", result=result, month=month,
            previous_query=urlencode({**params, "month": month.previous.strftime("%Y-%m")}),
            following_query=urlencode({**params, "month": month.following.strftime("%Y-%m")}),
            this_month_query=urlencode(params),
            day_query=urlencode({**params, "view": AGENDA_VIEW}))
    context["agenda_query"] = urlencode({**params, "view": AGENDA_VIEW})
    context["month_query"] = urlencode(params)
    return render(request, "reporting/calendar/calendar.html", context)


@require_POST
@login_required
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    """Make the person's feed address (a new one replaces the old) and show it, this once."""
    _feed, token = services.calendar_feed_create(actor=request.user)  # type: ignore[arg-type]
    url = selectors.base_url() + reverse("reporting:calendar_feed", kwargs={"token": token})
    return _private(render(request, "reporting/calendar/feed_created.html", {"feed_url": url}))


@require_POST
@login_required
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    if services.calendar_feed_revoke(actor=request.user) is not None:  # type: ignore[arg-type]
        messages.success(request, _("Your calendar feed address no longer works."))
    else:
        messages.info(request, _("You had no calendar feed."))
    return redirect(reverse("reporting:calendar") + "#feed")


@require_POST
@login_required
def calendar_digest(request: HttpRequest) -> HttpResponse:
    form = DigestForm(request.POST)
    if not form.is_valid():
        return render(request, "reporting/calendar/digest_form.html", {"digest_form": form}, status=400)
    enabled = bool(form.cleaned_data["enabled"])
    services.calendar_digest_set(actor=request.user, enabled=enabled)  # type: ignore[arg-type]
    messages.success(request, _("Your weekly digest is on.") if enabled else _("Your weekly digest is off."))
    return redirect(reverse("reporting:calendar") + "#digest")


@never_cache
@require_safe  # calendar programs may ask HEAD first
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's calendar as iCalendar, read with their permissions as they are now. No session: the address
    is the key. Any address that does not work is the same plain 404."""
    feed = selectors.feed_by_token(token)
    if feed is None:
        return _private(HttpResponseNotFound(_("No such calendar."), content_type="text/plain; charset=utf-8"))
    today = practice_today()
    result = selectors.calendar_items(actor=feed.user, today=today, filters=selectors.feed_filters(today))
    services.calendar_feed_used(feed=feed)
    response = HttpResponse(selectors.feed_ics(items=result.items), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="compliance-calendar.ics"'
    return _private(response)
