"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def fee_schedule_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def fee_schedule_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def fee_schedule_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def fee_schedule_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def fee_schedule_import(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
