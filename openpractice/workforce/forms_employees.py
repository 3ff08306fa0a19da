"""Forms for employees: the HR record, termination and documents. Services validate again; forms shape input.

SSN and bank details are write-only here: the boxes start empty and an empty box keeps the stored value, so
editing the record never puts the clear values in the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.forms import Form, ModelForm

from .choices import DocumentKind, EmployeeStatus
from .models import Employee, Position
from .selectors.employees import employee_scoped
from .services.employees import EMPLOYEE_FIELDS, SENSITIVE_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EmployeeForm(ModelForm):
    ssn = forms.CharField(label=_("SSN"), required=False, max_length=11,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}))
    bank_routing_number = forms.CharField(label=_("bank routing number"), required=False, max_length=9,
                                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    bank_account_number = forms.CharField(label=_("bank account number"), required=False, max_length=17,
                                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    status = forms.ChoiceField(label=_("status"), choices=[(EmployeeStatus.ACTIVE, EmployeeStatus.ACTIVE.label),
                                                           (EmployeeStatus.ON_LEAVE, EmployeeStatus.ON_LEAVE.label)])

    class Meta:
        model = Employee
        fields = EMPLOYEE_FIELDS
        widgets = {"date_of_birth": _DATE, "hire_date": _DATE, "position_since": _DATE}

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("location", locations_where(actor, Perm.WORKFORCE_MANAGE).filter(is_active=True))
        managers = employee_scoped(actor=actor).exclude(status=EmployeeStatus.TERMINATED)
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self._choices("manager", managers.order_by("last_name", "first_name", "pk"))
        self._choices("position", Position.objects.filter(is_active=True))
        linked = Employee.objects.filter(user__isnull=False).exclude(pk=self.instance.pk or 0).values("user_id")
        self._choices("user", User.objects.exclude(pk__in=linked).order_by("last_name", "first_name"))
        if self.instance.pk:
            if self.instance.status == EmployeeStatus.TERMINATED:
                del self.fields["status"]
            else:
                self.fields["status"].initial = self.instance.status
            for name in SENSITIVE_FIELDS:
                self.fields[name].help_text = _("Leave empty to keep the stored value.")

    def _choices(self, name: str, queryset: QuerySet[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def _post_clean(self) -> None:
        # The service validates the model (and returns its errors to the form).
        pass

    def service_data(self) -> dict[str, Any]:
        """The changed fields (all of them for a new record); sensitive ones only when typed in."""
        names = [name for name in self.changed_data if name not in SENSITIVE_FIELDS]
        if not self.instance.pk:
            names = [name for name in self.fields if name not in SENSITIVE_FIELDS]
        data = {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
        for name in SENSITIVE_FIELDS:
            if self.cleaned_data.get(name):
                data[name] = self.cleaned_data[name]
        return data


class TerminateForm(Form):
    termination_date = forms.DateField(label=_("Last day of employment"), widget=_DATE)
    termination_reason = forms.CharField(label=_("Reason"), max_length=300)
    confirm = forms.BooleanField(label=_("I understand that the person's OpenPractice access ends now."))


class DocumentForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG or JPEG, at most 10 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))
    retain_until = forms.DateField(label=_("Keep until"), required=False, widget=_DATE)
