"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def ack_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def ack_import(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
