"""Writes to the practice, its locations (with opening hours) and departments.

Every change is audited with the names of the fields that changed. Permission is checked here as well as in
the views, so the API and commands cannot skip it. A refusal is recorded BEFORE the write transaction opens:
an audit row written inside a transaction that then raises would be rolled back with it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from .choices import Weekday
from .models import Department, Location, OpeningHours, Practice
from .selectors import practice_settings_forget

PRACTICE_FIELDS: tuple[str, ...] = (
    "name", "legal_name", "ein", "group_npi", "address_line1", "address_line2", "city", "state", "postal_code",
    "timezone", "kind", "phone", "idle_timeout_minutes", "absolute_session_hours",
)  # fmt: skip
LOCATION_FIELDS: tuple[str, ...] = (
    "name", "code", "place_of_service", "phone", "npi", "address_line1", "address_line2", "city", "state",
    "postal_code",
)  # fmt: skip
DEPARTMENT_FIELDS: tuple[str, ...] = ("name", "location", "email", "phone")

# A day has at most a morning and an afternoon period.
PERIODS_PER_DAY = 2
# A period of opening hours as the editor and the API hand it over: (weekday 0=Monday, opens, closes).
Period = tuple[int, dt.time, dt.time]


# --- helpers -------------------------------------------------------------------------------------------------


def _authorize(*, actor: Any, action: str, target: Model | None = None, locations: Iterable[Location | None] = ()) -> None:
    """PRACTICE_MANAGE at every location the change touches; a practice-wide change (None among `locations`,
    or no location at all) needs it at all locations, so that a manager of one site cannot reconfigure the
    others."""
    wanted = list(locations) or [None]
    for location in wanted:
        allowed = (
            has_all_locations(actor, Perm.PRACTICE_MANAGE)
            if location is None
            else can(actor, Perm.PRACTICE_MANAGE, location)
        )
        if not allowed:
            raise refuse(actor=actor, permission=Perm.PRACTICE_MANAGE, action=action, target=target)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            _("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown_field"
        )


def _apply(instance: Model, data: Mapping[str, Any]) -> list[str]:
    """Set `data` on `instance`, validate, and return the names of the fields whose value really changed.
    full_clean() converts raw values (e.g. "15" -> 15), so the comparison happens after it."""
    before = {name: getattr(instance, _attname(instance, name)) for name in data}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if instance._meta.get_field(name).is_relation and value is not None and not isinstance(value, Model):
            # A related object given by id (API, commands): full_clean() checks that it exists.
            setattr(instance, _attname(instance, name), value)
        else:
            setattr(instance, name, value)
    instance.full_clean()
    return [name for name in data if getattr(instance, _attname(instance, name)) != before[name]]


def _attname(instance: Model, name: str) -> str:
    # Compare foreign keys by id, not by fetching the related object.
    return instance._meta.get_field(name).attname  # type: ignore[union-attr]


# --- practice ------------------------------------------------------------------------------------------------


def practice_create(*, actor: Any, data: Mapping[str, Any]) -> Practice:
    """First-run set-up of a new installation: create THE practice. Only the command line calls this (whoever
    holds the server's shell is the authority before any user exists); a second practice is refused."""
    _check_keys(data, PRACTICE_FIELDS)
    with transaction.atomic():
        if Practice.objects.select_for_update().exists():
            raise ValidationError(_("This installation already has its practice; edit it in Settings."),
                                  code="practice_exists")
        practice = Practice()
        _apply(practice, data)
        practice.save(force_insert=True)
        record(actor=actor, action="practice.created", target=practice, changed_fields=list(data),
               reason="command line")
        transaction.on_commit(practice_settings_forget)
    return practice


def practice_update(*, actor: Any, practice: Practice, data: Mapping[str, Any]) -> Practice:
    """Change the practice's settings. `data` holds only the fields to change (any of PRACTICE_FIELDS)."""
    _authorize(actor=actor, action="practice.update", target=practice)
    _check_keys(data, PRACTICE_FIELDS)
    with transaction.atomic():
        current = Practice.objects.select_for_update().get(pk=practice.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="practice.updated", target=current, changed_fields=changed)
            # Idle timeout, session limit and time zone are cached for every request: drop the copy now and
            # again after commit, so no request in between can cache the old values for long.
            practice_settings_forget()
            transaction.on_commit(practice_settings_forget)
    for name in changed:
        setattr(practice, name, getattr(current, name))
    return current


# --- locations -----------------------------------------------------------------------------------------------


def location_create(*, actor: Any, practice: Practice, data: Mapping[str, Any]) -> Location:
    """Add a location. A new site is practice-wide business, so it takes PRACTICE_MANAGE at all locations."""
    _authorize(actor=actor, action="location.create")
    _check_keys(data, LOCATION_FIELDS)
    with transaction.atomic():
        location = Location(practice=practice)
        _apply(location, data)
        location.save()
        record(actor=actor, action="location.created", target=location,
               changed_fields=[name for name in data if data[name] not in ("", None)])
    return location


def location_update(*, actor: Any, location: Location, data: Mapping[str, Any]) -> Location:
    _authorize(actor=actor, action="location.update", target=location, locations=[location])
    _check_keys(data, LOCATION_FIELDS)
    with transaction.atomic():
        current = Location.objects.select_for_update().get(pk=location.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="location.updated", target=current, changed_fields=changed)
    for name in changed:
        setattr(location, name, getattr(current, name))
    return current


def _fmt(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _validate_periods(periods: Iterable[Period]) -> list[Period]:
    """Every period well formed, closing after opening, and no two overlapping on the same day."""
    errors: list[ValidationError] = []
    clean: list[Period] = []
    for weekday, opens, closes in periods:
        if weekday not in Weekday.values:
            errors.append(ValidationError(_("Unknown weekday %(day)s."), params={"day": weekday}, code="weekday"))
            continue
        if not isinstance(opens, dt.time) or not isinstance(closes, dt.time):
            errors.append(ValidationError(_("%(day)s: give both an opening and a closing time."),
                                          params={"day": Weekday(weekday).label}, code="incomplete"))
            continue
        if closes <= opens:
            errors.append(ValidationError(
                _("%(day)s: closing time %(closes)s must be after opening time %(opens)s."),
                params={"day": Weekday(weekday).label, "opens": _fmt(opens), "closes": _fmt(closes)},
                code="closes_before_opens",
            ))
            continue
        clean.append((weekday, opens, closes))
    clean.sort()
    per_day = Counter(weekday for weekday, _opens, _closes in clean)
    for weekday, count in sorted(per_day.items()):
        if count > PERIODS_PER_DAY:
            errors.append(ValidationError(
                _("%(day)s: at most %(max)s opening periods a day."),
                params={"day": Weekday(weekday).label, "max": PERIODS_PER_DAY}, code="too_many_periods",
            ))
    for earlier, later in pairwise(clean):
        if earlier[0] == later[0] and later[1] < earlier[2]:
            errors.append(ValidationError(
                _("%(day)s: %(a)s overlaps %(b)s."),
                params={"day": Weekday(later[0]).label, "a": f"{_fmt(earlier[1])}–{_fmt(earlier[2])}",
                        "b": f"{_fmt(later[1])}–{_fmt(later[2])}"},
                code="overlap",
            ))
    if errors:
        raise ValidationError(errors)
    return clean


def location_set_opening_hours(*, actor: Any, location: Location, periods: Iterable[Period]) -> list[OpeningHours]:
    """Replace the location's weekly opening hours with `periods`, all at once or not at all."""
    _authorize(actor=actor, action="location.set_opening_hours", target=location, locations=[location])
    clean = _validate_periods(list(periods))
    with transaction.atomic():
        Location.objects.select_for_update().filter(pk=location.pk).values_list("pk").first()
        existing = sorted(OpeningHours.objects.filter(location=location).values_list("weekday", "opens_at", "closes_at"))
        if existing == clean:
            return list(OpeningHours.objects.filter(location=location))
        OpeningHours.objects.filter(location=location).delete()
        rows = [OpeningHours(location=location, weekday=weekday, opens_at=opens, closes_at=closes)
                for weekday, opens, closes in clean]
        for row in rows:
            row.full_clean()
        created = OpeningHours.objects.bulk_create(rows)
        days = sorted({weekday for weekday, _opens, _closes in set(existing) ^ set(clean)})
        record(actor=actor, action="location.opening_hours_set", target=location,
               changed_fields=[f"opening_hours.{Weekday(day).name.lower()}" for day in days])
    return created


def _set_active(*, actor: Any, instance: Location | Department, active: bool, verb: str,
                locations: list[Location | None]) -> None:
    """Switch is_active; asking for the state it already has changes nothing and writes no audit row."""
    label = type(instance)._meta.model_name
    _authorize(actor=actor, action=f"{label}.{verb}", target=instance, locations=locations)
    with transaction.atomic():
        current = type(instance).objects.select_for_update().get(pk=instance.pk)
        if current.is_active == active:
            instance.is_active = active
            return
        current.is_active = active
        current.save(update_fields=["is_active", "updated_at"])
        record(actor=actor, action=f"{label}.{verb}d", target=current, changed_fields=["is_active"])
    instance.is_active = active


def location_deactivate(*, actor: Any, location: Location) -> Location:
    """Take a location out of use. Its history stays; it leaves the switcher and new-record choices."""
    _set_active(actor=actor, instance=location, active=False, verb="deactivate", locations=[location])
    return location


def location_reactivate(*, actor: Any, location: Location) -> Location:
    _set_active(actor=actor, instance=location, active=True, verb="reactivate", locations=[location])
    return location


# --- departments ---------------------------------------------------------------------------------------------


def department_create(*, actor: Any, practice: Practice, data: Mapping[str, Any]) -> Department:
    """Add a department at one location (PRACTICE_MANAGE there) or practice-wide (at all locations)."""
    _check_keys(data, DEPARTMENT_FIELDS)
    _authorize(actor=actor, action="department.create", locations=[data.get("location")])
    with transaction.atomic():
        department = Department(practice=practice)
        _apply(department, data)
        department.save()
        record(actor=actor, action="department.created", target=department,
               changed_fields=[name for name in data if data[name] not in ("", None)])
    return department


def department_update(*, actor: Any, department: Department, data: Mapping[str, Any]) -> Department:
    """Change a department. Moving it needs PRACTICE_MANAGE where it is and where it goes."""
    _check_keys(data, DEPARTMENT_FIELDS)
    touched: list[Location | None] = [department.location]
    if "location" in data and data["location"] != department.location:
        touched.append(data["location"])
    _authorize(actor=actor, action="department.update", target=department, locations=touched)
    with transaction.atomic():
        current = Department.objects.select_for_update().get(pk=department.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="department.updated", target=current, changed_fields=changed)
    for name in changed:
        setattr(department, name, getattr(current, name))
    return current


def department_deactivate(*, actor: Any, department: Department) -> Department:
    _set_active(actor=actor, instance=department, active=False, verb="deactivate",
                locations=[department.location])
    return department


def department_reactivate(*, actor: Any, department: Department) -> Department:
    _set_active(actor=actor, instance=department, active=True, verb="reactivate",
                locations=[department.location])
    return department
