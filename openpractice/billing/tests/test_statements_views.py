"""The statement pages: runs, "Run statements" with its preview, a run's page, its PDFs and its emails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import Statement, StatementRun
from openpractice.billing.services.statements import statement_run_create
from openpractice.billing.tests.test_statements_services import owe, person, run, today
from openpractice.core.models import Location
from openpractice.patients.models import PreferredContact

pytestmark = pytest.mark.django_db


def statement_route_samples(world: Any, actor: Any = None, *, kind: str = "statement") -> tuple[Any, Any]:
    """For tests/test_routes.py: kind "statement" -> (a statement of a North family, one of a South family);
    "statementrun" -> (their run, None: runs hold no patient data and are not location-bound). Made once per
    world; the North guarantor takes email, so the run has something to send."""
    cached = world.__dict__.get("_statement_samples")
    if cached is None:
        runner = user_with_role(Role.BILLER, username="statement-runner")
        north_guarantor = person(world.north, email="north@example.test", preferred_contact=PreferredContact.EMAIL)
        south_guarantor = person(world.south)
        owe(north_guarantor, "40.00", actor=runner)
        owe(south_guarantor, "35.00", actor=runner)
        made = statement_run_create(actor=runner, statement_date=today())
        cached = world.__dict__["_statement_samples"] = {
            "statement": (made.statements.get(guarantor=north_guarantor),
                          made.statements.get(guarantor=south_guarantor)),
            "statementrun": (made, None),
        }
    return cached[kind]


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def as_biller(biller: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(biller)


def _queries(client: Client, url: str) -> tuple[int, int]:
    """(queries, of which audit-trail writes) for one GET that must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    audit = sum(1 for query in captured.captured_queries
                if "audit_auditevent" in query["sql"] or "pg_advisory" in query["sql"])
    return len(captured.captured_queries), audit


def _state() -> tuple[list[Any], list[Any]]:
    return (list(StatementRun.objects.order_by("pk").values_list()),
            list(Statement.objects.order_by("pk").values_list()))


# --- the runs ------------------------------------------------------------------------------------------------


def test_the_statements_page_lists_runs_with_a_constant_number_of_queries(
    north: Location, biller: User, as_biller: Client,
) -> None:
    url = reverse("billing:statement_list")
    owe(person(north), "20.00", actor=biller)
    runs = [run(biller)]
    one = _queries(as_biller, url)
    for _ in range(4):
        # Each run takes the new guarantor: the others had their statement today.
        owe(person(north), "20.00", actor=biller)
        runs.append(run(biller))

    assert _queries(as_biller, url) == one
    page = as_biller.get(url).content.decode()
    for made in runs:
        assert reverse("billing:statement_run_detail", args=[made.pk]) in page
    assert "Run statements" in page


def test_a_runs_page_lists_its_statements_with_flat_queries_and_one_audit_event_per_guarantor_shown(
    north: Location, biller: User, as_biller: Client,
) -> None:
    owe(person(north), "20.00", actor=biller)
    small = run(biller)
    for _ in range(5):
        owe(person(north), "20.00", actor=biller)
    big = run(biller)
    assert (small.statements.count(), big.statements.count()) == (1, 5)

    few, few_audit = _queries(as_biller, reverse("billing:statement_run_detail", args=[small.pk]))
    many, many_audit = _queries(as_biller, reverse("billing:statement_run_detail", args=[big.pk]))

    assert many - many_audit == few - few_audit
    viewed = AuditEvent.objects.filter(action="billing.statement_run_viewed", object_id=str(big.pk))
    assert Counter(viewed.values_list("patient_id", flat=True)) == Counter(
        big.statements.values_list("guarantor_id", flat=True))


def test_a_runs_page_shows_only_the_statements_at_the_viewers_locations(
    north: Location, south: Location, biller: User, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    at_north = person(north, last_name="Northrop")
    at_south = person(south, last_name="Southey")
    owe(at_north, "20.00", actor=biller)
    owe(at_south, "20.00", actor=biller)
    made = run(biller)
    provider = make_user(Role.PROVIDER, locations=[north], username="north-provider")

    page = signed_in(provider).get(reverse("billing:statement_run_detail", args=[made.pk])).content.decode()

    assert "Northrop" in page
    assert "Southey" not in page
    assert reverse("billing:statement_run_email", args=[made.pk]) not in page
    viewed = AuditEvent.objects.filter(actor=provider, action="billing.statement_run_viewed")
    assert list(viewed.values_list("patient_id", flat=True)) == [at_north.pk]


# --- making a run --------------------------------------------------------------------------------------------


def test_run_statements_previews_the_count_and_makes_the_run(north: Location, biller: User,
                                                             as_biller: Client) -> None:
    owe(person(north), "20.00", actor=biller)
    owe(person(north, email="e@example.test", preferred_contact=PreferredContact.EMAIL), "30.00", actor=biller)
    url = reverse("billing:statement_run_create")
    data = {"statement_date": today().isoformat(), "cycle_day": "", "minimum_balance": "0"}

    page = as_biller.get(url).content.decode()
    preview = as_biller.get(reverse("billing:statement_run_preview"), data).content.decode()
    response = as_biller.post(url, data)

    assert "Make the statements" in page
    assert "2 statements would be made" in preview
    assert "1 by email, 1 on paper" in preview
    assert "$50.00 due in all" in preview
    made = StatementRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:statement_run_detail", args=[made.pk])
    assert made.statements.count() == 2


def test_run_statements_shows_the_services_refusal_on_the_form(north: Location, biller: User,
                                                               as_biller: Client) -> None:
    response = as_biller.post(reverse("billing:statement_run_create"),
                              {"statement_date": today().isoformat(), "cycle_day": "", "minimum_balance": "0"})

    assert response.status_code == 400
    assert "No guarantor is due a statement" in response.content.decode()
    assert not StatementRun.objects.exists()


def test_a_biller_of_one_location_cannot_run_statements_and_the_attempt_changes_nothing(
    north: Location, biller: User, make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    owe(person(north), "20.00", actor=biller)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    before = _state()

    page = client.get(reverse("billing:statement_run_create")).content.decode()
    response = client.post(reverse("billing:statement_run_create"),
                           {"statement_date": today().isoformat(), "cycle_day": "", "minimum_balance": "0"})

    assert "only someone who manages billing for every location may run them" in page
    assert response.status_code == 302
    assert _state() == before
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED,
                                     action="billing.statement_run_create").count() == 1


# --- PDFs ------------------------------------------------------------------------------------------------------


def test_a_statement_pdf_downloads_as_an_attachment_and_is_audited(north: Location, biller: User,
                                                                   as_biller: Client) -> None:
    guarantor = person(north)
    owe(guarantor, "20.00", actor=biller)
    statement = Statement.objects.get(run=run(biller))

    response = as_biller.get(reverse("billing:statement_pdf", args=[statement.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="statement-')
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(actor=biller, action="billing.statement_exported",
                                     patient_id=guarantor.pk).count() == 1


def test_a_statement_of_another_location_is_not_found_and_the_attempt_is_audited(
    north: Location, south: Location, biller: User, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    owe(person(south), "20.00", actor=biller)
    statement = Statement.objects.get(run=run(biller))
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")

    response = signed_in(north_biller).get(reverse("billing:statement_pdf", args=[statement.pk]))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 1
    assert not AuditEvent.objects.filter(action="billing.statement_exported").exists()


def test_the_printable_run_pdf_is_for_billing_managers(
    north: Location, biller: User, as_biller: Client, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    owe(person(north), "20.00", actor=biller)
    made = run(biller)
    url = reverse("billing:statement_run_pdf", args=[made.pk])
    looker = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="looker")

    refused = sign_in(Client(), looker).get(url)
    response = as_biller.get(url)

    assert refused.status_code == 404
    assert AuditEvent.objects.filter(actor=looker, outcome=Outcome.DENIED).count() == 1
    assert not AuditEvent.objects.filter(actor=looker, action="billing.statement_printed").exists()
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="statements-{made.statement_date.isoformat()}-run-{made.pk}.pdf"')
    assert response.content.startswith(b"%PDF-")


# --- email -----------------------------------------------------------------------------------------------------


def test_send_emails_mails_the_runs_email_statements_after_commit(
    north: Location, biller: User, as_biller: Client, django_capture_on_commit_callbacks: Any,
) -> None:
    owe(person(north, email="e@example.test", preferred_contact=PreferredContact.EMAIL), "30.00", actor=biller)
    owe(person(north), "20.00", actor=biller)
    made = run(biller)
    url = reverse("billing:statement_run_email", args=[made.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = as_biller.post(url)

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["e@example.test"]
    assert message.attachments[0][2] == "application/pdf"
    page = as_biller.get(reverse("billing:statement_run_detail", args=[made.pk])).content.decode()
    assert "Sent " in page
    assert made.statements.filter(emailed_at__isnull=False).count() == 1


def test_someone_who_may_only_look_cannot_send_emails_and_nothing_changes(
    north: Location, biller: User, make_user: Callable[..., User], signed_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    owe(person(north, email="e@example.test", preferred_contact=PreferredContact.EMAIL), "30.00", actor=biller)
    made = run(biller)
    before = _state()
    looker = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="looker")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")

    with django_capture_on_commit_callbacks(execute=True):
        refused = [signed_in(user).post(reverse("billing:statement_run_email", args=[made.pk]))
                   for user in (looker, north_biller)]

    assert [response.status_code for response in refused] == [404, 404]
    assert mail.outbox == []
    assert _state() == before
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, actor__in=[looker, north_biller]).count() == 2


def test_statement_routes_answer_anonymous_people_with_the_sign_in_page(north: Location, biller: User) -> None:
    owe(person(north), "20.00", actor=biller)
    made = run(biller)
    statement = made.statements.get()
    urls = [reverse("billing:statement_list"), reverse("billing:statement_run_create"),
            reverse("billing:statement_run_preview"),
            reverse("billing:statement_run_detail", args=[made.pk]),
            reverse("billing:statement_run_pdf", args=[made.pk]),
            reverse("billing:statement_pdf", args=[statement.pk])]
    client = Client()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("billing:statement_run_email", args=[made.pk]))
    assert response["Location"].startswith(reverse("accounts:login"))
    assert made.statements.get().email_error == ""
