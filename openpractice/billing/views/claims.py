"""Not built yet: replaced by its owner (temporary, during the billing build)."""

from django.http import Http404, HttpRequest, HttpResponse


def claim_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_scrub(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_change_status(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_rebuild(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_correct(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_void(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_build_secondary(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()


def claim_prior_payment(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404()
