"""The navigation menu. Each app registers its entries in AppConfig.ready(); a user sees an entry only if
they hold its permission somewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from openpractice.accounts.permissions import can


@dataclass(frozen=True, order=True)
class NavItem:
    order: int
    section: str
    label: str = field(compare=False)
    url_name: str = field(compare=False)
    # None: every signed-in user; a frozenset: anyone holding one of them (a page serving two duties).
    permission: str | frozenset[str] | None = field(compare=False, default=None)
    demo_only: bool = field(compare=False, default=False)

    def visible_to(self, user: object) -> bool:
        if self.permission is None:
            return True
        if isinstance(self.permission, str):
            return can(user, self.permission)
        return any(can(user, permission) for permission in self.permission)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_registry: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _registry[item.url_name] = item


def items() -> list[NavItem]:
    return sorted(_registry.values())
