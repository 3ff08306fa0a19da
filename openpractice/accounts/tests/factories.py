from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import forget
from openpractice.accounts.roles import Tier

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


def give_role(user: User, role: str, tier: str = Tier.STANDARD, *, locations: Iterable[Any] | None = None) -> RoleAssignment:
    """Grant `role` at `tier`; `locations=None` means all locations."""
    assignment = RoleAssignment.objects.create(user=user, role=role, tier=tier, all_locations=locations is None)
    if locations is not None:
        assignment.locations.set(list(locations))
    forget(user)
    return assignment


def user_with_role(role: str, tier: str = Tier.STANDARD, *, locations: Iterable[Any] | None = None, **fields: Any) -> User:
    user = UserFactory(**fields)
    give_role(user, role, tier, locations=locations)
    return user


def confirmed_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)


def sign_in(client: Client, user: User) -> Client:
    """Log in as if password and TOTP code had both been given."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
