import json

import pytest
from django.core.management import CommandError, call_command

from openpractice.audit.models import AuditEvent
from openpractice.core.models import Practice

ARGS = [
    "practice", "create", "--name", "Lakeside Dental", "--legal-name", "Lakeside Dental, PA", "--ein", "12-3456789",
    "--kind", "dental_office", "--timezone", "America/Chicago", "--address", "1 Lake Road", "--city", "Austin",
    "--state", "TX", "--zip", "78701",
]  # fmt: skip


@pytest.mark.django_db
def test_a_new_installation_gets_its_practice_from_the_command_line(capsys):
    call_command(*ARGS, "--json")
    result = json.loads(capsys.readouterr().out)
    practice = Practice.objects.get()
    assert result == {"id": practice.pk, "name": "Lakeside Dental", "created": True}
    assert practice.timezone == "America/Chicago"
    event = AuditEvent.objects.get(action="practice.created")
    assert event.actor is None
    assert "ein" in event.changed_field_list


@pytest.mark.django_db
def test_a_second_practice_is_refused_and_the_first_is_untouched(practice):
    with pytest.raises(CommandError, match="already has its practice"):
        call_command(*ARGS)
    assert list(Practice.objects.values_list("name", flat=True)) == [practice.name]


@pytest.mark.django_db
def test_bad_input_names_the_option_and_creates_nothing():
    bad = [*ARGS]
    bad[bad.index("12-3456789")] = "123456789"
    with pytest.raises(CommandError, match="ein: Enter the EIN as NN-NNNNNNN"):
        call_command(*bad)
    assert not Practice.objects.exists()
    assert not AuditEvent.objects.filter(action="practice.created").exists()
