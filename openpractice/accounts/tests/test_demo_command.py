"""`openpractice demo` and `openpractice totp`: the demo practice, one login per role and tier, demo mode only."""

from __future__ import annotations

import json
from base64 import b32decode
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.accounts.demo import DEMO_PASSWORD
from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.roles import PERMISSION_TABLE
from openpractice.core import seeding
from openpractice.core.models import Department, Location, OpeningHours, Practice
from openpractice.core.validators import npi_is_valid, validate_ein

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo_json(*args: str) -> dict[str, Any]:
    return json.loads(run("demo", "--json", *args))  # type: ignore[no-any-return]


def code_for(secret: str, *, at: float | None = None) -> str:
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    if at is not None:
        totp.time = at
    return str(totp.token()).zfill(6)


def test_the_demo_creates_one_user_for_every_role_and_tier() -> None:
    run("demo")
    held = [(a.role, a.tier) for a in RoleAssignment.objects.all()]
    assert sorted(held) == sorted(PERMISSION_TABLE)
    assert User.objects.count() == len(PERMISSION_TABLE)
    for user in User.objects.all():
        assert user.is_active
        assert user.check_password(DEMO_PASSWORD)
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
        assert StaticToken.objects.filter(device__user=user).count() == 10
    scoped = RoleAssignment.objects.filter(all_locations=False)
    assert any(a.locations.count() == 1 for a in scoped)


def test_the_demo_practice_is_believable() -> None:
    run("demo")
    practice = Practice.objects.get()
    practice.full_clean()
    validate_ein(practice.ein)
    assert npi_is_valid(practice.group_npi)
    assert practice.state == "NC"
    assert practice.kind == "medical_group"
    locations = list(Location.objects.all())
    assert len(locations) == 3
    for location in locations:
        location.full_clean()
        assert location.place_of_service
        assert location.phone
        weekdays = set(OpeningHours.objects.filter(location=location).values_list("weekday", flat=True))
        assert {0, 1, 2, 3, 4} <= weekdays
    saturday = OpeningHours.objects.filter(weekday=5)
    assert saturday.values("location").distinct().count() == 1
    assert all(hours.closes_at.hour <= 13 for hours in saturday)
    assert Department.objects.count() >= 5


def test_the_json_output_is_complete_and_its_credentials_work() -> None:
    data = demo_json()
    assert data["created"] is True
    assert data["practice"] == "Riverbend Family Medicine"
    users = data["users"]
    assert sorted((u["role"], u["tier"]) for u in users) == sorted(PERMISSION_TABLE)
    request = RequestFactory().post("/accounts/login/")
    for login in users:
        assert set(login) >= {"username", "roles", "tier", "locations", "password", "totp_secret"}
        assert login["roles"] == [login["role"]]
        assert login["locations"]
        assert authenticate(request, username=login["username"], password=login["password"]) is not None
        device = TOTPDevice.objects.get(user__username=login["username"])
        assert device.verify_token(code_for(login["totp_secret"]))
    frontdesk = next(u for u in users if u["username"] == "frontdesk")
    assert frontdesk["all_locations"] is False
    assert len(frontdesk["locations"]) == 1


def test_if_empty_creates_nothing_more_and_still_prints_the_logins() -> None:
    first = demo_json()
    counts = (User.objects.count(), Location.objects.count(), TOTPDevice.objects.count())
    again = demo_json("--if-empty")
    assert again["created"] is False
    assert (User.objects.count(), Location.objects.count(), TOTPDevice.objects.count()) == counts
    assert [u["totp_secret"] for u in again["users"]] == [u["totp_secret"] for u in first["users"]]
    human = run("demo", "--if-empty")
    assert "pm_senior" in human
    assert DEMO_PASSWORD in human
    assert "openpractice totp" in human


def test_a_second_run_without_if_empty_is_refused() -> None:
    run("demo")
    with pytest.raises(CommandError, match="already has a practice"):
        run("demo")
    assert Practice.objects.count() == 1


def test_the_demo_is_refused_under_production_settings(settings: Any) -> None:
    settings.OPENPRACTICE_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run("demo")
    with pytest.raises(CommandError, match="production"):
        run("totp", "admin")
    assert not Practice.objects.exists()
    assert not User.objects.exists()


def test_the_demo_is_refused_outside_demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode only"):
        run("demo", "--if-empty")
    assert not Practice.objects.exists()


def test_a_failing_seeder_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(context: dict[str, Any]) -> None:
        assert context["users"]
        raise RuntimeError("seeder failed")

    monkeypatch.setitem(seeding._seeders, "tests.broken", seeding.Seeder(order=99, name="tests.broken", run=broken))
    with pytest.raises(RuntimeError, match="seeder failed"):
        run("demo")
    assert not Practice.objects.exists()
    assert not User.objects.exists()


def test_the_totp_command_prints_a_code_the_users_device_accepts() -> None:
    run("demo")
    code = run("totp", "biller").strip()
    assert len(code) == 6
    assert code.isdigit()
    assert TOTPDevice.objects.get(user__username="biller").verify_token(code)
    as_json = json.loads(run("totp", "auditor", "--json"))
    assert as_json["username"] == "auditor"
    assert 0 < as_json["seconds_left"] <= 30
    with pytest.raises(CommandError, match="No user"):
        run("totp", "nobody")


def test_a_demo_user_signs_in_with_the_password_and_a_code_from_the_totp_command() -> None:
    run("demo")
    browser = Client()
    step_one = browser.post("/accounts/login/", {"username": "pm_senior", "password": DEMO_PASSWORD})
    assert step_one.status_code == 302
    assert step_one["Location"].startswith("/accounts/mfa/verify/")
    step_two = browser.post(step_one["Location"], {"code": run("totp", "pm_senior").strip()})
    assert step_two.status_code == 302
    people = browser.get("/accounts/users/")
    assert people.status_code == 200
    assert b"frontdesk" in people.content
