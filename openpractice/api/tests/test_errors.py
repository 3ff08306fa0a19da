"""Every error the API gives is JSON with a code and a message."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import URLPattern
from ninja import NinjaAPI

from openpractice.accounts.models import User
from openpractice.api.errors import install
from openpractice.api.urls import api

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db


def test_an_unknown_path_under_the_api_answers_404_json(
    administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).get(f"{API}/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "Not found."}


def test_the_api_root_answers_404_json(client: object) -> None:
    response = client.get(f"{API}/")  # type: ignore[attr-defined]
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_method_the_path_does_not_accept_answers_405_json(
    administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(administrator)
    response = client.client.delete(f"{API}/practice", headers=client.headers)
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert "DELETE" in body["message"]
    assert set(body["allowed"]) == {"GET", "PATCH"}
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}


def test_a_query_parameter_out_of_range_answers_422_with_its_location(
    administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).get(f"{API}/locations", {"limit": 201})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"] == ["query", "limit"]


def test_an_unexpected_failure_answers_500_json_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    request = RequestFactory().get(f"{API}/practice")

    response = api.on_exception(request, RuntimeError("database on fire"))

    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["code"] == "server_error"
    assert "fire" not in body["message"]  # internals stay in the log
    assert any(record.exc_info and "database on fire" in str(record.exc_info[1]) for record in caplog.records)


def test_an_operation_that_raises_answers_500_json() -> None:
    # A throwaway API with our handlers and one operation that fails, called as Django would call it.
    failing = NinjaAPI(urls_namespace="failing-test")
    install(failing)

    @failing.get("/boom", auth=None)
    def boom(request: HttpRequest) -> None:
        raise RuntimeError("boom")

    patterns, _app, _namespace = failing.urls
    pattern = next(p for p in patterns if isinstance(p, URLPattern) and p.name == "boom")
    response = pattern.callback(RequestFactory().get("/boom"))

    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
