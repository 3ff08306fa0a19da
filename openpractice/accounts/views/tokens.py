"""Personal API tokens, managed by their owner: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from openpractice.accounts.models import ApiToken
from openpractice.accounts.services.tokens import token_create, token_list, token_revoke
from openpractice.core.web import get_scoped_or_404, login_required


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        help_text=gettext_lazy("What the token is for, e.g. “Reporting spreadsheet”."),
    )


def _list_page(request: HttpRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    tokens = token_list(actor=request.user, user=request.user)  # type: ignore[arg-type]
    return render(request, "accounts/tokens/list.html", {"tokens": tokens, "form": form}, status=status)


@require_GET
@login_required
def token_list_view(request: HttpRequest) -> HttpResponse:
    return _list_page(request, TokenForm())


@require_POST
@never_cache
@login_required
def token_create_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        token, secret = token_create(actor=request.user, user=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _list_page(request, form, status=400)
    # Rendered straight away, never redirected or stored (never_cache: no-store): the secret exists only in
    # this one response.
    return render(request, "accounts/tokens/created.html", {"token": token, "secret": secret})


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the user's own tokens: someone else's token looks like one that does not exist (and is audited).
    token = get_scoped_or_404(
        request, ApiToken.objects.filter(user=request.user), permission="accounts.own_token", pk=pk,  # type: ignore[misc]
    )
    token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked. It no longer works.") % {"name": token.name})
    return redirect("accounts:token_list")
