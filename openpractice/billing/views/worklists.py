"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def worklists(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
