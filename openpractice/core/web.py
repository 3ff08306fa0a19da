"""Helpers every view uses: permission checks that answer 404 (no existence leak) and audit the denial,
scoped object lookup, sortable/searchable/paginated tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from openpractice.accounts.permissions import can
from openpractice.audit.services import record_denied

from .exports import Export, export_format, export_response

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def deny(request: HttpRequest, *, permission: str, object_type: str = "", object_id: str | int = "") -> Http404:
    """Record the refused access and return the 404 to raise: out of role and out of scope look the same
    as "does not exist"."""
    record_denied(
        actor=request.user,
        action="access.denied",
        object_type=object_type,
        object_id=object_id,
        reason=f"{permission} {request.method} {request.path}"[:200],
    )
    return Http404()


def require(request: HttpRequest, permission: str, *, location: Any = None) -> None:
    if not can(request.user, permission, location):
        raise deny(request, permission=permission)


def permission_required(permission: str) -> Callable[[ViewFunc], ViewFunc]:
    """Sign-in first (redirect to login), then the permission (404 + audit). The permission is kept on the
    view as `required_permission` so the route tests can check every route against the table."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request, permission)
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def any_permission_required(permissions: frozenset[str]) -> Callable[[ViewFunc], ViewFunc]:
    """Like permission_required, for a page open to holders of any one of `permissions` (the patient account:
    billing staff and the front desk). `required_permission` is the set, for the route tests."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(can(request.user, permission) for permission in permissions):
                raise deny(request, permission=" or ".join(sorted(permissions)))
            return view(request, *args, **kwargs)

        wrapper.required_permission = permissions  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def login_required(view: ViewFunc) -> ViewFunc:
    """For pages every signed-in user may open (their own profile, tokens, the home page)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.required_permission = None  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


M = TypeVar("M", bound=Model)


def add_service_errors(form: Any, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: each message on its field when the form has that field,
    else at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item)
    else:
        for message in error.messages:
            form.add_error(None, message)


def run_service(form: Any, call: Callable[[], Any]) -> bool:
    """Call a service for a form view: a refusal (PermissionDenied) is the 404 of an object out of scope (the
    service audited it), a rule broken goes onto the form; True when the service succeeded."""
    try:
        call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


def get_scoped_or_404(request: HttpRequest, scoped: QuerySet[M], *, permission: str, **lookup: Any) -> M:
    """Fetch one object from the actor's scoped queryset. If it exists but is out of scope, audit the denial;
    either way the answer is 404."""
    obj = scoped.filter(**lookup).first()
    if obj is not None:
        return obj
    model = scoped.model
    if model._default_manager.filter(**lookup).exists():
        raise deny(request, permission=permission, object_type=model._meta.label_lower,
                   object_id=str(lookup.get("pk", lookup.get("id", ""))))
    raise Http404()


@dataclass
class Table:
    """A list page's state: search text, sort key (from an allowlist), one page of rows.

    Links keep every other query parameter (filters) and drop the page number when the sort or search changes.
    templates/components/table.html renders it; `render_table()` answers htmx requests with only the rows.
    """

    page: Page
    sort: str
    search: str
    sort_options: Sequence[str]
    query_string: str
    params: QueryDict = field(default_factory=QueryDict)
    element_id: str = "results"
    # Every row the filters, search and sort select, unpaginated: what an export (?export=csv|xlsx) writes.
    queryset: QuerySet[Any] | None = None

    def _url(self, **changes: str | int | None) -> str:
        params = self.params.copy()
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        encoded = params.urlencode()
        return f"?{encoded}" if encoded else "?"

    def sort_state(self, key: str) -> str | None:
        """"ascending"/"descending" for the column the rows are sorted by (aria-sort), else None."""
        if self.sort.lstrip("-") != key:
            return None
        return "descending" if self.sort.startswith("-") else "ascending"

    def sort_url(self, key: str) -> str:
        """Sort by `key`; a second click on the current column reverses it."""
        return self._url(sort=f"-{key}" if self.sort == key else key, page=None)

    def sort_link(self, key: str) -> str:
        return self.sort_url(key)

    def page_url(self, number: int) -> str:
        return self._url(page=number)

    def export_url(self, file_format: str) -> str:
        """Every row of the current search, filters and sort as a file (csv or xlsx)."""
        return self._url(export=file_format, page=None)

    @property
    def is_sortable(self) -> bool:
        return bool(self.sort_options)


def table(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    sorts: dict[str, str],
    default_sort: str,
    search_fields: Sequence[str] = (),
    per_page: int = 25,
    element_id: str = "results",
) -> Table:
    """Apply ?q= (search over `search_fields`), ?sort= (only keys in `sorts`; unknown keys fall back to the
    default, never reaching the database) and ?page=. `sorts` maps public keys to ORM orderings."""
    # NUL cannot be stored or compared in PostgreSQL text: drop it rather than answer 500.
    search = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    if search and search_fields:
        condition = Q()
        for name in search_fields:
            condition |= Q(**{f"{name}__icontains": search})
        queryset = queryset.filter(condition)
    sort = request.GET.get("sort") or default_sort
    key = sort.lstrip("-")
    if key not in sorts or sort not in (key, f"-{key}"):
        sort, key = default_sort, default_sort.lstrip("-")
    ordering = sorts[key]
    descending = sort.startswith("-")
    queryset = queryset.order_by(f"-{ordering}" if descending else ordering, "pk")
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    if search:
        params["q"] = search
    else:
        params.pop("q", None)
    params["sort"] = sort
    return Table(page=page, sort=sort, search=search, sort_options=list(sorts), query_string=params.urlencode(),
                 params=params, element_id=element_id, queryset=queryset)


def render_table(request: HttpRequest, template_name: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Render a list page; an htmx request aimed at the table (search, sort, page) gets only the table part.
    `context["table"]` is the Table; the template includes components/table.html. With `context["export"]` (a
    core.exports.Export) the page offers CSV and XLSX, and ?export=csv|xlsx answers with the file of every row
    the filters select."""
    htmx = getattr(request, "htmx", None)
    table_state: Table = context["table"]
    export: Export | None = context.get("export")
    if export is not None and export_format(request) and table_state.queryset is not None:
        return export_response(request, table_state.queryset, export)
    if htmx and not htmx.boosted and not htmx.history_restore_request and htmx.target == table_state.element_id:
        response = render(request, "components/table_results.html", context, status=status)
    else:
        response = render(request, template_name, context, status=status)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
