"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def charge_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_create_for_appointment(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_void(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def charge_build_claim(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
