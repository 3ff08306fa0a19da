"""Forms of the queue pages and of reply templates: input only. The services decide what is allowed (who may
work a message, who it may be given to, what a closed message refuses)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.forms import Form

from .choices import Category, Outcome, Priority
from .models import Queue, ReplyTemplate


def _person(user: User) -> str:
    return user.get_full_name() or user.username


class _PeopleForm(Form):
    """A form with a choice among some people (`users`); `chosen()` gives the User."""

    people_field = "assignee"

    def __init__(self, *args: Any, users: list[User], empty_label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {user.pk: user for user in users}
        field = self.fields[self.people_field]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", empty_label), *((user.pk, _person(user)) for user in users)]

    def chosen(self) -> User | None:
        pk = self.cleaned_data.get(self.people_field)
        return self.users.get(pk) if pk is not None else None


class AssignForm(_PeopleForm):
    assignee = forms.TypedChoiceField(label=_("Give it to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, users=users, empty_label=str(_("Nobody: back to the queue")), **kwargs)


class ForwardForm(_PeopleForm):
    queue = forms.ModelChoiceField(label=_("To queue"), queryset=Queue.objects.none(), required=False,
                                   empty_label=_("Keep it in this queue"))
    assignee = forms.TypedChoiceField(label=_("To person"), coerce=int, required=False, empty_value=None,
                                      help_text=_("Leave empty to let the queue pick it up."))
    note = forms.CharField(label=_("Note for them"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, queues: QuerySet[Queue], users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, users=users, empty_label=str(_("Nobody in particular")), **kwargs)
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ModelChoiceField)
        queue_field.queryset = queues


class NoteForm(Form):
    body = forms.CharField(label=_("Internal note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Seen by staff only, never sent."))


class PriorityForm(Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class CloseForm(Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReopenForm(Form):
    reason = forms.CharField(label=_("Why reopen it"), max_length=500)


class ReplyForm(Form):
    """The reply by email. Choosing a template fills the text through htmx (`fill_url`); without JavaScript, a
    reply sent with an empty text and a template sends the template's text."""

    template = forms.ModelChoiceField(label=_("Start from a template"), queryset=ReplyTemplate.objects.none(),
                                      required=False, empty_label=_("No template"))
    body = forms.CharField(label=_("Reply"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           help_text=_("Your signature and the queue's are added below it."))
    waiting = forms.BooleanField(label=_("Wait for their answer"), required=False,
                                 help_text=_("The message shows as waiting until they write back."))
    close_with = forms.ChoiceField(label=_("Then"), required=False,
                                   choices=[("", _("Keep the message open")),
                                            *((value, format_lazy("{}: {}", _("Close it"), label))
                                              for value, label in Outcome.choices)])

    def __init__(self, *args: Any, templates: QuerySet[ReplyTemplate], fill_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reply_%s")
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates
        if fill_url:
            target = "#" + (self.auto_id % "body" if isinstance(self.auto_id, str) else "body")
            template_field.widget.attrs.update({
                "hx-get": fill_url, "hx-trigger": "change", "hx-target": target, "hx-swap": "outerHTML"})


class ReplyTemplateForm(Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    category = forms.ChoiceField(label=_("For category"), required=False,
                                 choices=[("", _("Any category")), *Category.choices])
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False,
                              help_text=_("Empty keeps “Re:” and the message's subject."))
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}),
                           help_text=_("Placeholders: {first_name}, {number}, {staff_name}, {practice_name}, "
                                       "{practice_phone}. No patient details: the template is the same for "
                                       "everyone."))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, template: ReplyTemplate | None = None, **kwargs: Any) -> None:
        if template is not None:
            kwargs.setdefault("initial", {
                "name": template.name, "category": template.category, "subject": template.subject,
                "body": template.body, "is_active": template.is_active})
        super().__init__(*args, **kwargs)
