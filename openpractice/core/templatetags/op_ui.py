"""Template helpers for the shared layout: sortable table headers and the current menu entry."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from openpractice.core.web import Table

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], table: Table, key: str, label: str) -> str:
    """A <th> for `key`: a link that sorts by it (htmx swaps only the table), aria-sort on the sorted column.
    Keys outside the table's allowlist render as plain headers."""
    if key not in table.sort_options:
        return format_html('<th scope="col">{}</th>', label)
    request = context.get("request")
    url = f"{request.path if request else ''}{table.sort_url(key)}"
    state = table.sort_state(key)
    aria = format_html(' aria-sort="{}"', state) if state else ""
    return format_html(
        '<th scope="col"{}><a href="{}" hx-get="{}" hx-target="#{}" hx-push-url="true">{}</a></th>',
        aria, url, url, table.element_id, label,
    )


@register.filter
def is_current(path: str, url: str) -> bool:
    """The menu entry for `url` is current on its own page and on the pages below it ("/" only on itself)."""
    if url == "/":
        return path == "/"
    return path == url or path.startswith(url)


@register.filter
def page_url(table: Table, number: int) -> str:
    """The query string for page `number` of `table`, keeping search, sort and filters."""
    return table.page_url(number)


@register.filter
def export_url(table: Table, file_format: str) -> str:
    """The query string that downloads every row of `table`'s search, filters and sort as `file_format`."""
    return table.export_url(file_format)
