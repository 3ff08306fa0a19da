"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def batch_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def batch_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def batch_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def batch_download(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def batch_submit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def batch_discard(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
