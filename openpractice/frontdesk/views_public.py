"""The public contact form at /contact/ (no sign-in; CSRF on as everywhere). A filled honeypot is thanked and
forgotten; more than the hourly limit from one client answers 429 with a plain explanation; anything else that is
valid becomes a WEB message in the queues (services.contact_form)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from openpractice.core.web import add_service_errors

from .forms_desk import ContactForm
from .services import contact_form as services

HONEYPOT = "website"


@require_http_methods(["GET", "POST"])
def contact_form(request: HttpRequest) -> HttpResponse:
    thanks = reverse("contact:form") + "?sent=1"
    if request.method == "GET":
        return render(request, "frontdesk/public/contact_form.html", {
            "form": ContactForm(), "sent": request.GET.get("sent") == "1"})
    if (request.POST.get(HONEYPOT) or "").strip():
        return redirect(thanks)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.contact_submit(
                remote_addr=request.META.get("REMOTE_ADDR", ""), honeypot=data.get(HONEYPOT) or "",
                data=services.ContactData(name=data["name"], email=data["email"], phone=data["phone"],
                                          subject=data["subject"], body=data["body"], location=data["location"]))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if outcome.result is services.Result.THROTTLED:
                response = render(request, "frontdesk/public/throttled.html", {
                    "limit": services.SUBMISSIONS_PER_HOUR}, status=429)
                response["Retry-After"] = "3600"
                return response
            return redirect(thanks)
    return render(request, "frontdesk/public/contact_form.html", {"form": form, "sent": False}, status=400)
