"""People: the staff list, a person's page, inviting, editing roles and profile, deactivating, invitations,
and the public page where an invited person chooses a password. Thin: parse, call one service or selector,
render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts import selectors
from openpractice.accounts.forms_users import AcceptInvitationForm, InviteForm, ProfileForm, role_formset
from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.accounts.selectors import UserStatus
from openpractice.accounts.services import users as services
from openpractice.core.exports import Column, Export
from openpractice.core.web import (
    add_service_errors,
    deny,
    get_scoped_or_404,
    permission_required,
    render_table,
    table,
)

_STATUS_FILTERS = {
    "active": UserStatus.ACTIVE,
    "invited": UserStatus.INVITED,
    "lapsed": UserStatus.INVITATION_LAPSED,
    "deactivated": UserStatus.DEACTIVATED,
}


def _manageable_user(request: HttpRequest, pk: int) -> User:
    """The person, if the actor may change their access; otherwise a 404 with the denial audited."""
    user = get_scoped_or_404(
        request, selectors.user_list(actor=request.user, permission=Perm.USERS_MANAGE),
        permission=Perm.USERS_MANAGE, pk=pk,
    )
    if not selectors.user_is_manageable(actor=request.user, user=user):
        raise deny(request, permission=Perm.USERS_MANAGE, object_type="accounts.user", object_id=pk)
    return user


def _role_errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for item in error.error_dict.get("roles", []) for message in item.messages]
    return []


def _roles_context(request: HttpRequest, *, data: Any = None, user: User | None = None) -> dict[str, Any]:
    may_grant_all, locations = selectors.grantable_locations(actor=request.user)
    formset = role_formset(
        data=data,
        grants=selectors.grantable_role_tiers(actor=request.user),
        locations=locations,
        may_grant_all=may_grant_all,
        assignments=list(user.role_assignments.all()) if user is not None else (),
        blank_rows=1 if user is not None else 2,
    )
    return {"formset": formset, "may_grant_all": may_grant_all, "role_errors": []}


# --- list and detail ---------------------------------------------------------------------------------------


def _roles_text(person: User) -> str:
    """The list's "Roles (locations)" cell in words (role assignments and locations come prefetched)."""
    parts = []
    for assignment in person.role_assignments.all():
        label = assignment.get_role_display()
        if assignment.tier != "standard":
            label = f"{label} · {assignment.get_tier_display()}"
        places = _("all locations") if assignment.all_locations else ", ".join(
            location.name for location in assignment.locations.all())
        parts.append(f"{label} ({places})")
    return "; ".join(parts) or _("No role")


_STATUS_LABELS = {UserStatus.ACTIVE: gettext_lazy("Active"), UserStatus.INVITED: gettext_lazy("Invited"),
                  UserStatus.INVITATION_LAPSED: gettext_lazy("Invitation lapsed"),
                  UserStatus.DEACTIVATED: gettext_lazy("Deactivated")}

USER_EXPORT = Export(name="people", object_type="accounts.user", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "display_name"),
    Column(gettext_lazy("Username"), "username"),
    Column(gettext_lazy("Email"), "email"),
    Column(gettext_lazy("Job title"), "job_title"),
    Column(gettext_lazy("Roles (locations)"), _roles_text),
    Column(gettext_lazy("Status"), lambda person: _STATUS_LABELS.get(person.status, person.status)),
    Column(gettext_lazy("Last sign-in"), "last_login"),
])


@require_GET
@permission_required(Perm.USERS_VIEW)
def user_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in _STATUS_FILTERS:
        status = ""
    queryset = selectors.user_list(actor=request.user, status=_STATUS_FILTERS.get(status))
    rows = table(
        request, queryset,
        sorts={"name": "last_name", "username": "username", "email": "email", "title": "job_title",
               "status": "status", "last_login": "last_login"},
        default_sort="name", search_fields=("username", "first_name", "last_name", "email", "job_title"),
        element_id="user-table",
    )
    return render_table(request, "accounts/users/list.html", {
        "table": rows,
        "table_template": "accounts/users/_table.html",
        "filter_template": "accounts/users/_status_filter.html",
        "status": status,
        "status_choices": [("", _("Everyone")), ("active", _("Active")), ("invited", _("Invited")),
                           ("lapsed", _("Invitation lapsed")), ("deactivated", _("Deactivated"))],
        "can_invite": bool(selectors.grantable_role_tiers(actor=request.user)),
        "export": USER_EXPORT,
    })


@require_GET
@permission_required(Perm.USERS_VIEW)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_scoped_or_404(request, selectors.user_list(actor=request.user), permission=Perm.USERS_VIEW, pk=pk)
    detail = selectors.user_detail(actor=request.user, user=user)
    open_invitation = next(
        (inv for inv in detail.invitations if inv.accepted_at is None and inv.revoked_at is None), None
    )
    return render(request, "accounts/users/detail.html", {"person": user, "detail": detail,
                                                          "open_invitation": open_invitation})


# --- invite, roles, profile --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.USERS_MANAGE)
def user_invite(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InviteForm(request.POST)
        context = _roles_context(request, data=request.POST)
        formset = context["formset"]
        if form.is_valid() and formset.is_valid():
            try:
                user = services.user_invite(actor=request.user, roles=formset.specs(), **form.cleaned_data)  # type: ignore[arg-type]
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
                context["role_errors"] = _role_errors(exc)
            else:
                messages.success(request, _("%(name)s was invited. The link was emailed to %(email)s.")
                                 % {"name": user.display_name, "email": user.email})
                return redirect(user)
        return _invite_page(request, form, context, status=400)
    return _invite_page(request, InviteForm(), _roles_context(request))


def _invite_page(request: HttpRequest, form: InviteForm, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "accounts/users/invite.html",
                  {"form": form, "invitation_days": settings.OPENPRACTICE_INVITATION_DAYS, **context}, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.USERS_MANAGE)
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manageable_user(request, pk)
    if user.pk == request.user.pk:
        # One's own access is changed by another administrator, never by oneself.
        raise deny(request, permission=Perm.USERS_MANAGE, object_type="accounts.user", object_id=pk)
    if request.method == "POST":
        context = _roles_context(request, data=request.POST, user=user)
        formset = context["formset"]
        if formset.is_valid():
            try:
                services.user_set_roles(actor=request.user, user=user, roles=formset.specs())  # type: ignore[arg-type]
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                context["role_errors"] = _role_errors(exc) or exc.messages
            else:
                messages.success(request, _("Roles of %(name)s saved.") % {"name": user.display_name})
                return redirect(user)
        return render(request, "accounts/users/roles.html", {"person": user, **context}, status=400)
    return render(request, "accounts/users/roles.html", {"person": user, **_roles_context(request, user=user)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.USERS_MANAGE)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manageable_user(request, pk)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=User(pk=user.pk))
        if form.is_valid():
            try:
                services.user_update_profile(
                    actor=request.user, user=user,  # type: ignore[arg-type]
                    data={name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
                )
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Details of %(name)s saved.") % {"name": user.display_name})
                return redirect(user)
        return render(request, "accounts/users/edit.html", {"person": user, "form": form}, status=400)
    return render(request, "accounts/users/edit.html", {"person": user, "form": ProfileForm(instance=user)})


# --- deactivate, reactivate, invitations -------------------------------------------------------------------


def _post_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    user = _manageable_user(request, pk)
    try:
        action(user)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"name": user.display_name})
    return redirect(user)


@require_POST
@permission_required(Perm.USERS_MANAGE)
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda user: services.user_deactivate(actor=request.user, user=user),  # type: ignore[arg-type]
        _("%(name)s was deactivated and signed out everywhere."),
    )


@require_POST
@permission_required(Perm.USERS_MANAGE)
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda user: services.user_reactivate(actor=request.user, user=user),  # type: ignore[arg-type]
        _("%(name)s was reactivated."),
    )


@require_POST
@permission_required(Perm.USERS_MANAGE)
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request, pk, lambda user: services.invitation_resend(actor=request.user, user=user),  # type: ignore[arg-type]
        _("A new invitation link was emailed to %(name)s; earlier links no longer work."),
    )


@require_POST
@permission_required(Perm.USERS_MANAGE)
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    def revoke(user: User) -> None:
        invitation = selectors.invitation_open_for(actor=request.user, user=user)
        if invitation is None:
            raise ValidationError(_("There is no open invitation to withdraw."), code="none")
        services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]

    return _post_action(request, pk, revoke, _("The invitation for %(name)s was withdrawn; its link no longer works."))


# --- the invited person's page (no sign-in) ----------------------------------------------------------------


# Where the invitation link's secret waits between the link and the password form (as Django's password reset
# does it): the browser is sent on to a URL without the secret, so it stays out of server and proxy logs, the
# Referer header and the browser history.
INVITATION_SESSION_TOKEN = "_invitation_token"


def _unusable(request: HttpRequest, exc: services.InvitationUnusable) -> HttpResponse:
    request.session.pop(INVITATION_SESSION_TOKEN, None)
    return render(request, "accounts/invitation_unusable.html", {"reason": exc.code, "message": exc.messages[0]},
                  status=404 if exc.code == "invalid" else 410)


@never_cache
@require_GET
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: keep its secret in the session and move on to the password form."""
    try:
        services.invitation_check(selectors.invitation_for_token(token=token))
    except services.InvitationUnusable as exc:
        return _unusable(request, exc)
    request.session[INVITATION_SESSION_TOKEN] = token
    return redirect("accounts:invitation_set_password")


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_set_password(request: HttpRequest) -> HttpResponse:
    token = str(request.session.get(INVITATION_SESSION_TOKEN) or "")
    invitation = selectors.invitation_for_token(token=token)
    try:
        services.invitation_check(invitation)
    except services.InvitationUnusable as exc:
        return _unusable(request, exc)
    assert invitation is not None
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except services.InvitationUnusable as exc:
            return _unusable(request, exc)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            request.session.pop(INVITATION_SESSION_TOKEN, None)
            messages.success(request, _("Your password is set. Sign in with your username %(username)s.")
                             % {"username": invitation.user.username})
            return redirect("accounts:login")
    # Form errors answer 200, like Django's own password forms.
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})
