"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def code_sets(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def procedure_import(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def icd10_lookup(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
