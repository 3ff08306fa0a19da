"""The home page: what the signed-in user may see, at a glance. Reads only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openpractice.core.web import login_required

from .selectors import home_summary


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/home.html", {"summary": home_summary(actor=request.user)})
