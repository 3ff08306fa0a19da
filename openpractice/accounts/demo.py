"""Demo data for accounts: one person for every (role, tier) of the permission table, some at one location,
all with the same demo password, a confirmed authenticator (codes from `openpractice totp USERNAME`) and
recovery codes. Runs after core's seeder, which leaves the practice and its locations in the context."""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from typing import Any

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.core.models import Location
from openpractice.core.seeding import seeder

from .models import User
from .roles import PERMISSION_TABLE, Role, Tier
from .services.users import RoleSpec, user_mfa_provision, user_provision

# Shared by every demo login; long enough for the password validators (min 12) and on no common list.
DEMO_PASSWORD = "riverbend-demo-login"
EMAIL_DOMAIN = "riverbend.example"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    job_title: str
    role: str
    tier: str
    locations: tuple[str, ...] = ()  # location codes; empty means all locations


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("pm_senior", "Dana", "Whitfield", "Practice Administrator", Role.PRACTICE_MANAGER, Tier.SENIOR),
    DemoPerson("pm_advanced", "Marcus", "Bell", "Practice Manager", Role.PRACTICE_MANAGER, Tier.ADVANCED,
               ("downtown", "north-hills")),
    DemoPerson("pm_entry", "Priya", "Raman", "Assistant Practice Manager", Role.PRACTICE_MANAGER, Tier.ENTRY,
               ("cary",)),
    DemoPerson("om_experienced", "Linda", "Ortiz", "Senior Office Manager", Role.OFFICE_MANAGER, Tier.EXPERIENCED),
    DemoPerson("om_mid", "Kevin", "Osei", "Office Manager", Role.OFFICE_MANAGER, Tier.MID, ("north-hills",)),
    DemoPerson("om_entry", "Sophie", "Tran", "Office Coordinator", Role.OFFICE_MANAGER, Tier.ENTRY, ("cary",)),
    DemoPerson("frontdesk", "Maria", "Gonzalez", "Patient Services Representative", Role.FRONT_DESK, Tier.STANDARD,
               ("downtown",)),
    DemoPerson("biller", "James", "Carter", "Billing & Coding Specialist (CPC)", Role.BILLER, Tier.STANDARD),
    DemoPerson("provider", "Aisha", "Mensah", "Physician, MD", Role.PROVIDER, Tier.STANDARD,
               ("downtown", "north-hills")),
    DemoPerson("clinical", "Tom", "Becker", "Medical Assistant (CMA)", Role.CLINICAL_STAFF, Tier.STANDARD,
               ("north-hills",)),
    DemoPerson("hr", "Rachel", "Kim", "HR Specialist", Role.HR, Tier.STANDARD),
    DemoPerson("privacy", "Helen", "Park", "Privacy & Compliance Officer", Role.PRIVACY_OFFICER, Tier.STANDARD),
    DemoPerson("auditor", "Victor", "Lang", "External Auditor", Role.AUDITOR, Tier.STANDARD),
    DemoPerson("admin", "Sam", "Rivera", "IT Administrator", Role.ADMINISTRATOR, Tier.STANDARD),
)

# The table is the source of truth: a (role, tier) added there without a demo person fails loudly here.
_missing = set(PERMISSION_TABLE) - {(person.role, person.tier) for person in DEMO_PEOPLE}
if _missing:
    raise RuntimeError(f"Demo people missing for {sorted(_missing)}: add them to DEMO_PEOPLE.")


@seeder(20)
def seed_people(context: dict[str, Any]) -> None:
    locations: dict[str, Location] = context["locations"]
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        spec = RoleSpec(
            role=person.role,
            tier=person.tier,
            all_locations=not person.locations,
            location_ids=frozenset(locations[code].pk for code in person.locations),
        )
        user = user_provision(
            email=f"{person.username.replace('_', '.')}@{EMAIL_DOMAIN}",
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            job_title=person.job_title,
            password=DEMO_PASSWORD,
            roles=[spec],
            reason="demo practice",
        )
        user_mfa_provision(user=user, reason="demo practice")
        users[person.username] = user
    context["users"] = users


def totp_secret(key_hex: str) -> str:
    """The base32 secret an authenticator app (or a test tool) takes, from django-otp's hex key."""
    return b32encode(bytes.fromhex(key_hex)).decode("ascii").rstrip("=")


def demo_logins() -> list[dict[str, Any]]:
    """The demo people as they are in the database now: username, role, tier, locations, the demo password,
    the authenticator secret and the unused recovery codes. Demo mode only (the command checks)."""
    usernames = [person.username for person in DEMO_PEOPLE]
    users = {
        user.username: user
        for user in User.objects.filter(username__in=usernames).prefetch_related("role_assignments__locations")
    }
    all_location_names = list(Location.objects.order_by("name").values_list("name", flat=True))
    devices = {
        device.user_id: device
        for device in TOTPDevice.objects.filter(user__username__in=usernames, confirmed=True).order_by("pk")
    }
    codes: dict[int, list[str]] = {}
    for token in StaticToken.objects.select_related("device").filter(
        device__user__username__in=usernames, device__confirmed=True
    ).order_by("pk"):
        codes.setdefault(token.device.user_id, []).append(token.token)
    logins = []
    for person in DEMO_PEOPLE:
        user = users.get(person.username)
        if user is None:
            continue
        assignments = list(user.role_assignments.all())
        all_locations = any(a.all_locations for a in assignments)
        names = all_location_names if all_locations else sorted(
            {location.name for a in assignments for location in a.locations.all()}
        )
        device = devices.get(user.pk)
        logins.append({
            "username": user.username,
            "name": user.get_full_name(),
            "email": user.email,
            "job_title": user.job_title,
            "roles": [a.role for a in assignments],
            "role": person.role,
            "tier": person.tier,
            "all_locations": all_locations,
            "locations": names,
            "password": DEMO_PASSWORD,
            "totp_secret": totp_secret(device.key) if device else None,
            "recovery_codes": codes.get(user.pk, []),
            "is_active": user.is_active,
        })
    return logins
