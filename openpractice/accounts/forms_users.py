"""Forms for people: the invitation (who, plus rows of roles), editing roles, the profile, accepting an
invitation. A role row picks a role and tier together from the pairs the acting user may grant, so a tier that
does not fit its role cannot be chosen; the service checks everything again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import Location

from .models import RoleAssignment, User
from .roles import TIERS_BY_ROLE, Role, Tier
from .services.users import PROFILE_FIELDS, RoleSpec


def grant_value(role: str, tier: str) -> str:
    return f"{role}:{tier}"


def grant_choices(pairs: Sequence[tuple[str, str]]) -> list[Any]:
    """Choices for the role/tier select: roles with several tiers become an option group."""
    choices: list[Any] = [("", _("— choose a role —"))]
    for role in Role:
        tiers = [tier for r, tier in pairs if r == role]
        if not tiers:
            continue
        if len(TIERS_BY_ROLE[role]) == 1:
            choices.append((grant_value(role, tiers[0]), role.label))
        else:
            choices.append((role.label, [(grant_value(role, tier), f"{role.label} — {Tier(tier).label}")
                                         for tier in tiers]))
    return choices


class RoleRowForm(forms.Form):
    grant = forms.ChoiceField(label=_("Role and tier"), required=False)
    all_locations = forms.BooleanField(label=_("All locations"), required=False)
    locations = forms.MultipleChoiceField(label=_("Locations"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, grants: Sequence[tuple[str, str]] = (), locations: Sequence[Location] = (),
                 may_grant_all: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grant"].choices = grant_choices(grants)  # type: ignore[attr-defined]
        self.fields["locations"].choices = [(str(location.pk), location.name) for location in locations]  # type: ignore[attr-defined]
        if not may_grant_all:
            del self.fields["all_locations"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("DELETE"):
            return cleaned
        if not cleaned.get("grant"):
            if cleaned.get("all_locations") or cleaned.get("locations"):
                raise ValidationError(_("Choose a role for these locations, or untick them."), code="role_missing")
            return cleaned
        all_locations = cleaned.get("all_locations", False)
        if all_locations and cleaned.get("locations"):
            raise ValidationError(_("Choose all locations or particular ones, not both."), code="locations_both")
        if not all_locations and not cleaned.get("locations"):
            raise ValidationError(_("Choose at least one location for this role."), code="locations_missing")
        return cleaned

    def spec(self) -> RoleSpec | None:
        data = self.cleaned_data
        if not data.get("grant") or data.get("DELETE"):
            return None
        role, tier = data["grant"].split(":", 1)
        all_locations = bool(data.get("all_locations"))
        return RoleSpec(role=role, tier=tier, all_locations=all_locations,
                        location_ids=frozenset() if all_locations else frozenset(int(pk) for pk in data["locations"]))


class BaseRoleFormSet(BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        specs = self.specs()
        if not specs:
            raise ValidationError(_("Give the person at least one role."), code="no_roles")
        roles = [spec.role for spec in specs]
        duplicates = sorted({str(Role(role).label) for role in roles if roles.count(role) > 1})
        if duplicates:
            raise ValidationError(_("Each role can be given once: %(roles)s.") % {"roles": ", ".join(duplicates)},
                                  code="duplicate_role")

    def specs(self) -> list[RoleSpec]:
        return [spec for form in self.forms if (spec := form.spec()) is not None]


# Rows beyond one per role plus a few blanks are refused outright, so a forged form cannot make thousands.
MAX_ROLE_ROWS = len(Role) + 5


def role_formset(*, data: Any = None, grants: Sequence[tuple[str, str]], locations: Sequence[Location],
                 may_grant_all: bool, assignments: Sequence[RoleAssignment] = (), blank_rows: int = 2) -> Any:
    """The rows of roles: one per current assignment (when editing) plus `blank_rows` empty ones."""
    initial = [
        {
            "grant": grant_value(a.role, a.tier),
            "all_locations": a.all_locations,
            "locations": [str(location.pk) for location in a.locations.all()],
        }
        for a in assignments
    ]
    # Blank rows are "extra" forms: left empty, they are skipped instead of validated.
    formset_class = formset_factory(RoleRowForm, formset=BaseRoleFormSet, extra=blank_rows, can_delete=True,
                                    max_num=MAX_ROLE_ROWS, absolute_max=MAX_ROLE_ROWS)
    return formset_class(
        data=data,
        prefix="roles",
        initial=initial,
        form_kwargs={"grants": grants, "locations": locations, "may_grant_all": may_grant_all},
    )


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"), help_text=_("The invitation link is sent here."))
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("What they type to sign in. Letters, digits and @ . + - _ only."))
    job_title = forms.CharField(label=_("Job title"), max_length=80, required=False)

    def clean_username(self) -> str:
        value: str = self.cleaned_data["username"].strip()
        User.username_validator(value)
        return value


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = list(PROFILE_FIELDS)


class AcceptInvitationForm(forms.Form):
    password1 = forms.CharField(label=_("New password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label=_("Repeat the password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned
