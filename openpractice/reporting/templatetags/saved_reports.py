"""{% save_view_link %}: the "Save this view" link under a list (templates/components/table_results.html).

Shown to signed-in people on the savable list pages (selectors_saved.SAVABLE_ROUTES) only. It opens the naming
form with the list's URL name and its present query string (filters, search and sort; never the page or an
export format). A link, not a form: the rows an htmx request swaps in carry no form, and the link follows every
sort and search."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from ..selectors_saved import SAVABLE_ROUTES, clean_query

register = template.Library()


@register.inclusion_tag("reporting/saved/_save_link.html", takes_context=True)
def save_view_link(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    table = context.get("table")
    route = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    user = getattr(request, "user", None)
    if table is None or route not in SAVABLE_ROUTES or not getattr(user, "is_authenticated", False):
        return {"url": ""}
    query = clean_query(getattr(table, "query_string", ""))
    return {"url": f"{reverse('reporting:saved_report_create')}?{urlencode({'route': route, 'query': query})}"}
