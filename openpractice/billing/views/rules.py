"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def rule_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def rule_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def rule_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
