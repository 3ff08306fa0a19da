"""The list helper: allowlisted sorting, search, paging links that keep filters, the menu's current entry."""

from __future__ import annotations

from django.test import RequestFactory

from openpractice.core.models import Location
from openpractice.core.templatetags.op_ui import is_current, sort_header
from openpractice.core.web import Table, table

SORTS = {"name": "name", "city": "city"}


def make_table(query: str) -> Table:
    request = RequestFactory().get(f"/settings/locations/?{query}")
    return table(request, Location.objects.all(), sorts=SORTS, default_sort="name", search_fields=("name",),
                 element_id="t")


def test_sort_and_page_links_keep_filters_and_restart_at_page_one(db: None) -> None:
    rows = make_table("status=all&sort=name&page=2&q=north")
    assert rows.sort_url("name") == "?status=all&sort=-name&q=north"
    assert rows.sort_url("city") == "?status=all&sort=city&q=north"
    assert rows.page_url(3) == "?status=all&sort=name&q=north&page=3"


def test_an_unknown_sort_key_falls_back_to_the_default(db: None) -> None:
    for query in ("sort=password", "sort=-name__secret", "sort=--name", "sort="):
        rows = make_table(query)
        assert rows.sort == "name"
        assert rows.sort_state("name") == "ascending"


def test_sort_header_marks_the_sorted_column_and_leaves_others_plain(db: None) -> None:
    rows = make_table("sort=-city")
    request = RequestFactory().get("/settings/locations/")
    city = sort_header({"request": request}, rows, "city", "City")
    assert city == ('<th scope="col" aria-sort="descending"><a href="/settings/locations/?sort=city" '
                    'hx-get="/settings/locations/?sort=city" hx-target="#t" hx-push-url="true">City</a></th>')
    assert sort_header({"request": request}, rows, "phone", "Phone <b>") == '<th scope="col">Phone &lt;b&gt;</th>'


def test_the_current_menu_entry_covers_the_pages_below_it() -> None:
    assert is_current("/settings/locations/5/edit/", "/settings/locations/")
    assert not is_current("/settings/departments/", "/settings/locations/")
    assert is_current("/", "/")
    assert not is_current("/settings/", "/")


def test_a_nul_byte_in_the_search_is_dropped_instead_of_reaching_the_database(db: None) -> None:
    rows = make_table("q=no%00rth")
    assert rows.search == "north"
    assert list(rows.page.object_list) == []  # evaluated: PostgreSQL would refuse a NUL in the query
