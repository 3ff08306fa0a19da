"""The one upload-and-import page flow shared by the 999/277CA and the 271 imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from openpractice.core.web import add_service_errors

from ..forms_acks import X12UploadForm


def x12_upload_page(request: HttpRequest, *, form_class: type[X12UploadForm], importer: Callable[..., Any],
                    template: str) -> HttpResponse:
    """Show the upload form; on a valid POST hand the file to `importer(actor=, file_name=, content=)` and show its
    result, or the service's errors on the form (400)."""
    form = form_class(request.POST or None, request.FILES or None)
    result: Any = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importer(actor=request.user, file_name=upload.name, content=upload.read())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, template, {"form": form, "result": result}, status=400 if form.errors else 200)
