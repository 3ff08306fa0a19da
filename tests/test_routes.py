"""THE route matrix: every named UI route x every (role, tier) of the permission table, plus anonymous.

The routes come from Django's URL resolver, so a route someone adds is covered the moment it exists:
- anonymous -> redirect to the sign-in page;
- a role whose permissions include the view's `required_permission` (None: any signed-in user) -> 200;
- any other role -> 404, an AuditEvent(outcome="denied") for that user, and, for POST, not one row of the
  core/accounts/MFA tables changed;
- an object route asked for an object outside the user's locations (or owner) -> the same 404 + audit.

A view declares its permission with core.web.permission_required(...) or login_required. A route without that
declaration fails `test_every_ui_route_declares_its_permission` unless it is one of the few sign-in-flow pages
listed in PUBLIC_OR_AUTH_FLOW. A route whose URL takes an object id fails
`test_every_object_route_has_sample_objects` until SAMPLES knows how to find an object for it (the first word
of the route name names the kind of object).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from openpractice.accounts.models import ApiToken, Invitation, User
from openpractice.accounts.roles import PERMISSION_TABLE, Role, Tier, permissions_for
from openpractice.accounts.tests.factories import UserFactory, give_role, sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.tests import x12_support as billing_x12_samples
from openpractice.billing.tests.factories import FeeScheduleFactory, ScrubRuleFactory, make_claim
from openpractice.billing.tests.test_denials import denial_route_samples
from openpractice.billing.tests.test_patient_payments_views import route_payments, route_write_offs
from openpractice.billing.tests.test_remittance_views import route_samples as remittance_samples
from openpractice.billing.tests.test_statements_views import statement_route_samples
from openpractice.cases.tests import route_samples as case_samples
from openpractice.cases.tests import route_samples_categories as category_samples
from openpractice.compliance.tests import route_samples_access_reviews as access_review_samples
from openpractice.compliance.tests import route_samples_associates as associate_samples
from openpractice.compliance.tests import route_samples_disclosures as disclosure_samples
from openpractice.compliance.tests import route_samples_incidents as incident_samples
from openpractice.compliance.tests import route_samples_policies as policy_samples
from openpractice.compliance.tests import route_samples_sra as sra_samples
from openpractice.core.models import Department, Location, OutboxMessage, Practice
from openpractice.core.tests.factories import DepartmentFactory, LocationFactory, OpeningHoursFactory, PracticeFactory
from openpractice.facilities.tests import route_samples_assets as asset_samples
from openpractice.facilities.tests import route_samples_safety as safety_samples
from openpractice.facilities.tests import route_samples_work_orders as work_order_samples
from openpractice.frontdesk.tests import route_samples as frontdesk_samples
from openpractice.integrations.tests import route_samples as webhook_samples
from openpractice.inventory.tests import route_samples_purchasing as purchasing_samples
from openpractice.inventory.tests import route_samples_stock as stock_samples
from openpractice.patients.tests.factories import route_samples
from openpractice.reporting.tests import route_samples_brief as brief_samples
from openpractice.reporting.tests import route_samples_saved as saved_samples
from openpractice.scheduling.tests import samples as scheduling_samples
from openpractice.vendors.tests import route_samples as vendor_samples
from openpractice.workforce.tests import route_samples as workforce_samples
from openpractice.workforce.tests import route_samples_development as development_samples
from openpractice.workforce.tests import route_samples_hiring as hiring_samples
from openpractice.workforce.tests import route_samples_interviews as interview_samples
from openpractice.workforce.tests import route_samples_offers as offer_samples
from openpractice.workforce.tests.factories_training import route_samples as training_samples

# Pages a person must reach before (or while) signing in. Nothing else may go without a permission declaration.
PUBLIC_OR_AUTH_FLOW = frozenset({
    "contact:form",  # the practice's public contact form (honeypot and rate limit, no sign-in)
    "reporting:calendar_feed",  # a person's iCalendar feed: the secret token in the URL is the credential
    "accounts:login",
    "accounts:logout",
    "accounts:keepalive",
    "accounts:mfa_verify",
    "accounts:mfa_setup",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:invitation_accept",
    "accounts:invitation_set_password",
    "scheduling:reminder_respond",  # the signed link in a reminder email (its own tests: scheduling)
    "facilities:vendorlink_page",  # a firm's signed link to one work order (its own tests: facilities)
    "facilities:vendorlink_photo",
})
# Not UI: load-balancer probes (tested in core) and the REST API (tested by the API's own suite).
NOT_UI_NAMES = frozenset({"healthz", "readyz"})
NOT_UI_PREFIXES = ("api/", "fhir/", "static/", "media/")
# Tables whose rows a refused request must leave exactly as they were.
GUARDED_APPS = ("core", "accounts", "otp_totp", "otp_static", "patients", "scheduling", "billing", "workforce", "compliance", "cases",
                "vendors", "inventory", "facilities", "frontdesk", "reporting", "integrations")

_MISSING = object()
# Routes whose object is not the first word of their name; their URL kwarg is "<kind>_id".
KIND_OF_ROUTE: dict[str, str] = {"billing:eligibility_request": "coverage",
                                 "billing:charge_create_for_appointment": "appointment",
                                 "billing:statement_run_detail": "statementrun",
                                 "billing:statement_run_pdf": "statementrun",
                                 "billing:statement_run_email": "statementrun",
                                 "billing:remittance_import_detail": "remittanceimport",
                                 "billing:remittance_claim_resolve": "remittanceclaim",
                                 "billing:remittance_claim_dismiss": "remittanceclaim",
                                 "workforce:employee_document_download": "employeedocument",
                                 "workforce:employee_document_delete": "employeedocument",
                                 "workforce:checklist_start": "employee",
                                 "workforce:checklist_task_status": "checklisttask",
                                 "workforce:template_item_remove": "templateitem",
                                 "workforce:credential_type_edit": "credentialtype",
                                 "workforce:credential_add": "employee",
                                 "workforce:career_path": "employee",
                                 "workforce:pay_history": "employee",
                                 "workforce:benchmark_edit": "paybenchmark",
                                 "workforce:discipline_follow_up_record": "followup",
                                 "workforce:discipline_follow_up_add": "discipline",
                                 "workforce:pto_cancel": "ptorequest",
                                 "workforce:pto_decide": "ptorequest",
                                 "workforce:devplan_create": "devplanemployee",
                                 "cases:case_letter": "caseletter",
                                 "cases:case_mine_detail": "owncase"}
# Apps that keep their samples in their own module (SAMPLES, KIND_OF_ROUTE, PRACTICE_WIDE), merged below.
SAMPLE_MODULES: tuple[Any, ...] = (vendor_samples, stock_samples, purchasing_samples, asset_samples, safety_samples,
                                   work_order_samples, frontdesk_samples, brief_samples, saved_samples,
                                   webhook_samples)
for _module in SAMPLE_MODULES:
    KIND_OF_ROUTE.update(_module.KIND_OF_ROUTE)
# Further URL kwargs beyond the object's id.
EXTRA_KWARGS: dict[str, dict[str, str]] = {"workforce:employee_sensitive": {"field": "ssn"}}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Callable[..., Any]
    kwarg_names: tuple[str, ...]

    @property
    def permission(self) -> Any:
        return getattr(self.callback, "required_permission", _MISSING)

    @property
    def declares_permission(self) -> bool:
        return self.permission is not _MISSING

    @property
    def kind(self) -> str:
        """The kind of object in the URL: the first word of the route name ("location_edit" -> "location"),
        unless KIND_OF_ROUTE names it (a route whose URL takes another object's id, e.g. <coverage_id>)."""
        return KIND_OF_ROUTE.get(self.name) or self.name.split(":")[-1].split("_")[0]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name=name, pattern=prefix + str(entry.pattern), callback=entry.callback,
                        kwarg_names=tuple(entry.pattern.regex.groupindex))


def ui_routes() -> list[Route]:
    return [
        route for route in _walk(get_resolver("config.urls").url_patterns)
        if route.name not in NOT_UI_NAMES and not route.pattern.startswith(NOT_UI_PREFIXES)
    ]


ROUTES = ui_routes()
GUARDED_ROUTES = [route for route in ROUTES if route.name not in PUBLIC_OR_AUTH_FLOW]
ROLE_TIERS = list(PERMISSION_TABLE)


def test_every_ui_route_declares_its_permission() -> None:
    """permission_required(...) or login_required on every UI view, except the sign-in flow."""
    undeclared = {route.name for route in ROUTES if not route.declares_permission}
    assert undeclared == PUBLIC_OR_AUTH_FLOW, (
        f"Routes without a permission declaration that are not sign-in flow: "
        f"{sorted(undeclared - PUBLIC_OR_AUTH_FLOW)}; allowlisted routes that are gone or now declare one: "
        f"{sorted(PUBLIC_OR_AUTH_FLOW - undeclared)}"
    )


def test_declared_permissions_exist_in_the_permission_table() -> None:
    known = set().union(*PERMISSION_TABLE.values())
    unknown = {route.name: route.permission for route in GUARDED_ROUTES
               if route.declares_permission and route.permission is not None
               and not (set(route.permission) if isinstance(route.permission, frozenset) else {route.permission})
               <= known}
    assert unknown == {}


# --- the world every route is tried in ----------------------------------------------------------------------


@dataclass
class World:
    practice: Practice
    north: Location
    south: Location
    dept_north: Department
    dept_south: Department
    # A person whose only role is at North (manageable by every users.manage holder), and one only at South.
    person_north: User
    person_south: User
    outbox_message: OutboxMessage
    stranger: User  # owns the "other user's" token
    tokens: dict[int, ApiToken] = field(default_factory=dict)

    def token_of(self, user: User) -> ApiToken:
        if user.pk not in self.tokens:
            secret = secrets.token_urlsafe(24)
            self.tokens[user.pk] = ApiToken.objects.create(
                user=user, name="Route test", prefix=secret[:10],
                token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            )
        return self.tokens[user.pk]


def _invite(user: User, by: User) -> None:
    Invitation.objects.create(user=user, token_hash=secrets.token_hex(32), invited_by=by,
                              expires_at=timezone.now() + dt.timedelta(days=3))


@pytest.fixture
def world(db: Any) -> World:
    practice = PracticeFactory.create()
    north = LocationFactory.create(practice=practice, name="North Clinic", code="north")
    south = LocationFactory.create(practice=practice, name="South Clinic", code="south")
    OpeningHoursFactory(location=north)
    inviter = user_with_role(Role.ADMINISTRATOR, username="inviter")
    person_north = UserFactory.create(username="person-north", is_active=False)
    give_role(person_north, Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    _invite(person_north, inviter)
    person_south = UserFactory.create(username="person-south", is_active=False)
    give_role(person_south, Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    _invite(person_south, inviter)
    return World(
        practice=practice, north=north, south=south,
        dept_north=DepartmentFactory.create(practice=practice, location=north, name="North desk"),
        dept_south=DepartmentFactory.create(practice=practice, location=south, name="South desk"),
        person_north=person_north, person_south=person_south,
        outbox_message=OutboxMessage.objects.create(from_email="demo@example.test", recipients=["a@example.test"],
                                                    subject="Welcome", body="Hello"),
        stranger=user_with_role(Role.FRONT_DESK, username="stranger"),
    )


# kind -> (object in the actor's scope, object outside it or None when the kind has no scope)
SAMPLES: dict[str, Callable[[World, User | None], tuple[Model, Model | None]]] = {
    "location": lambda w, actor: (w.north, w.south),
    "department": lambda w, actor: (w.dept_north, w.dept_south),
    "user": lambda w, actor: (w.person_north, w.person_south),
    "invitation": lambda w, actor: (w.person_north, w.person_south),  # users/<pk>/invitation/...
    "token": lambda w, actor: (w.token_of(actor or w.stranger), w.token_of(w.stranger)),
    "outbox": lambda w, actor: (w.outbox_message, None),
    "patient": lambda w, actor: route_samples(w, "patient"),
    "coverage": lambda w, actor: route_samples(w, "coverage"),
    "card": lambda w, actor: route_samples(w, "card"),
    "payer": lambda w, actor: route_samples(w, "payer"),  # practice-wide: no out-of-scope payer
    "provider": scheduling_samples.providers,
    "appointment": scheduling_samples.appointments,
    "type": scheduling_samples.appointment_types,  # practice-wide: no out-of-scope type
    "room": scheduling_samples.rooms,
    "referring": scheduling_samples.referring_providers,  # practice-wide: no out-of-scope referring provider
    "waitlist": scheduling_samples.waitlist_entries,
    "charge": lambda w, actor: _billing_samples(w, "charge"),  # a charge at North, one at South
    "claim": lambda w, actor: _billing_samples(w, "claim"),  # the claims of those charges
    "batch": billing_x12_samples.route_batches,  # a batch of a North claim, a batch of a South claim
    "payment": route_payments,  # a patient payment at North, one at South
    "writeoff": route_write_offs,  # a pending write-off at North, one at South
    "statement": lambda w, actor: statement_route_samples(w, kind="statement"),  # a North and a South statement
    "statementrun": lambda w, actor: statement_route_samples(w, kind="statementrun"),  # practice-wide: a run
    "remittance": lambda w, actor: remittance_samples(w, "remittance"),
    "denial": denial_route_samples,  # a denied North claim, a denied South claim
    "remittanceimport": lambda w, actor: remittance_samples(w, "remittanceimport"),
    "remittanceclaim": lambda w, actor: remittance_samples(w, "remittanceclaim"),
    # Workforce: an employee at North who is the actor (everyone reaches their own record), one at South.
    "employee": workforce_samples.employees,
    "employeedocument": workforce_samples.documents,
    "credential": workforce_samples.credentials,
    "checklist": workforce_samples.checklists,
    "checklisttask": workforce_samples.checklist_tasks,
    # Training and discipline: HR's sample at North for those who hold the permission, else their own.
    "training": lambda w, actor: training_samples(w, actor, "training"),
    "discipline": lambda w, actor: training_samples(w, actor, "discipline"),
    "followup": lambda w, actor: training_samples(w, actor, "followup"),
    "position": workforce_samples.positions,
    # practice-wide: the credential catalog, courses, checklist templates, pay benchmarks
    "credentialtype": workforce_samples.practice_wide("credentialtype"),
    "course": lambda w, actor: training_samples(w, actor, "course"),
    "template": workforce_samples.practice_wide("template"),
    "templateitem": workforce_samples.practice_wide("templateitem"),
    "paybenchmark": workforce_samples.practice_wide("paybenchmark"),
    "payperiod": workforce_samples.practice_wide("payperiod"),
    "ptorequest": workforce_samples.pto_requests,
    # Hiring: a North and a South requisition, applicant (the actor interviews the North one), interview, offer.
    "requisition": hiring_samples.requisitions,
    "applicant": hiring_samples.applicants,
    "interview": interview_samples.interviews,
    "offer": offer_samples.route_samples,
    "criterion": interview_samples.criteria,  # practice-wide: the scorecard criteria
    "category": category_samples.categories,  # practice-wide: case categories
    # Development plans: an employee at North managed by the actor, an unmanaged one at South.
    "devplan": development_samples.plans,
    "devplanitem": development_samples.plan_items,
    "devplanemployee": development_samples.reports,
    # Compliance: a North and a South incident, with a notification deadline and an affected patient each.
    "incident": incident_samples.incidents,
    "deadline": incident_samples.deadlines,
    "affected": incident_samples.affected,
    # Policies are practice-wide (no out-of-scope one); an acknowledgement request outside scope is someone else's.
    "policy": policy_samples.policies,
    "version": policy_samples.versions,
    "attachment": policy_samples.attachments,
    "campaign": policy_samples.campaigns,
    "ackrequest": policy_samples.ackrequests,
    # Business associates and their agreements are practice-wide.
    "associate": associate_samples.associates,
    "agreement": associate_samples.agreements,
    "disclosure": disclosure_samples.disclosures,  # a North and a South patient's disclosure
    # The security risk assessment and the risk register are practice-wide.
    "sra": sra_samples.sras,
    "risk": sra_samples.risks,
    "accessreview": access_review_samples.accessreviews,  # practice-wide
    # Cases: a North and a South case of the kind the actor sees (patient; staff for cases.staff-only holders),
    # each with a letter; "My cases": one the actor filed and the stranger's.
    "case": case_samples.cases,
    "caseletter": case_samples.letters,
    "owncase": case_samples.own_cases,
    # practice-wide: no out-of-scope fee schedule
    "fee": lambda w, actor: (w.__dict__.get("_fee") or w.__dict__.setdefault("_fee", FeeScheduleFactory(created_by=w.stranger)), None),
    # practice-wide: a scrubber rule applies to the claims of every location
    "rule": lambda w, actor: (w.__dict__.get("_rule") or w.__dict__.setdefault("_rule", ScrubRuleFactory(
        created_by=w.stranger, procedure_code="99213", requires_modifier="25")), None),
}

for _module in SAMPLE_MODULES:
    assert not set(_module.SAMPLES) & set(SAMPLES), f"{_module.__name__} reuses a route kind"
    SAMPLES.update(_module.SAMPLES)


def _billing_samples(world: World, kind: str) -> tuple[Model, Model]:
    """A charge with its draft claim at North and at South, made once per world."""
    cache: dict[str, list[Model]] = world.__dict__.setdefault("_billing_charge_samples", {})
    if not cache:
        for location in (world.north, world.south):
            claim = make_claim(location=location, actor=world.stranger)
            cache.setdefault("charge", []).append(claim.charge)
            cache.setdefault("claim", []).append(claim)
    return cache[kind][0], cache[kind][1]


def test_every_object_route_has_sample_objects() -> None:
    missing = sorted(route.name for route in GUARDED_ROUTES
                     if route.kwarg_names and (route.kind not in SAMPLES
                                               or set(route.kwarg_names) - set(EXTRA_KWARGS.get(route.name, {}))
                                               not in ({"pk"}, {f"{route.kind}_id"}, {f"{route.kind}_pk"})))
    assert missing == [], f"Teach SAMPLES in tests/test_routes.py how to build URL kwargs for: {missing}"


def url_for(route: Route, world: World, actor: User | None, *, in_scope: bool = True) -> str:
    if not route.kwarg_names:
        return reverse(route.name)
    inside, outside = SAMPLES[route.kind](world, actor)
    target = inside if in_scope else outside
    assert target is not None
    return reverse(route.name, kwargs={route.kwarg_names[0]: target.pk, **EXTRA_KWARGS.get(route.name, {})})


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the guarded tables, every column."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    for label in GUARDED_APPS:
        for model in apps.get_app_config(label).get_models():
            columns = [f.attname for f in model._meta.concrete_fields]
            state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denied_count(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def permitted(permission: Any, role: str, tier: str) -> bool:
    if isinstance(permission, frozenset):  # any_permission_required: any one of them opens the page
        return bool(permission & permissions_for(role, tier))
    return permission is None or permission in permissions_for(role, tier)


def signed_in_client(user: User) -> Client:
    return sign_in(Client(), user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- the matrix ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", GUARDED_ROUTES, ids=[route.name for route in GUARDED_ROUTES])
def test_route_answers_every_role_as_the_permission_table_says(route: Route, world: World) -> None:
    if not route.declares_permission:
        pytest.fail(f"{route.name} declares no permission (see test_every_ui_route_declares_its_permission)")
    problems: list[str] = []

    # Anonymous: to the sign-in page. A 405 is fine when the view refuses the method before anything else.
    served: dict[str, bool] = {}
    for method in ("GET", "POST"):
        response = getattr(Client(), method.lower())(url_for(route, world, None))
        served[method] = response.status_code != 405
        if served[method] and not is_login_redirect(response):
            problems.append(f"anonymous {method}: {response.status_code}, expected a redirect to sign in")
    if not any(served.values()):
        problems.append("anonymous: 405 for both GET and POST")

    users = {pair: user_with_role(*pair, username=f"{pair[0]}-{pair[1]}") for pair in ROLE_TIERS}
    clients = {pair: signed_in_client(user) for pair, user in users.items()}

    # Not permitted: 404, the refusal audited, nothing changed. The guarded tables are read once before all the
    # refused requests and once after (reading them around each request made this the slowest test of the
    # suite); the URLs are built first, since building one may create its sample object.
    refused = {pair: url_for(route, world, user) for pair, user in users.items()
               if not permitted(route.permission, *pair)}
    before = snapshot()
    for pair, url in refused.items():
        for method in ("GET", "POST"):
            if not served[method]:
                continue
            denials = denied_count(users[pair])
            response = getattr(clients[pair], method.lower())(url)
            if response.status_code != 404:
                problems.append(f"{pair[0]}/{pair[1]} {method}: {response.status_code}, expected 404")
            if denied_count(users[pair]) <= denials:
                problems.append(f"{pair[0]}/{pair[1]} {method}: no denied AuditEvent")
    if refused and snapshot() != before:
        problems.append(f"the database changed after the refused requests of {sorted(refused)}")

    # Permitted: the page opens. (A POST-only view may answer GET with 405.)
    allowed_pairs = [pair for pair in ROLE_TIERS if permitted(route.permission, *pair)]
    for pair in allowed_pairs:
        response = clients[pair].get(url_for(route, world, users[pair]))
        if response.status_code not in (200, 405):
            problems.append(f"{pair[0]}/{pair[1]} GET: {response.status_code}, expected 200")
    # One permitted POST (last: it may change things): refused for a reason other than permission is a bug.
    if allowed_pairs and served["POST"]:
        pair = allowed_pairs[0]
        response = clients[pair].post(url_for(route, world, users[pair]))
        if response.status_code in (403, 404) or response.status_code >= 500:
            problems.append(f"{pair[0]}/{pair[1]} POST: {response.status_code}")

    assert problems == [], f"{route.name} ({route.pattern}, requires {route.permission!r}):\n  " + "\n  ".join(problems)


SCOPED_ROUTES = [route for route in GUARDED_ROUTES
                 if route.declares_permission and route.kwarg_names and route.kind in SAMPLES
                 and route.kind not in ("outbox", "payer", "type", "referring", "fee", "rule", "statementrun",
                                        "credentialtype", "course", "template", "templateitem", "paybenchmark",
                                        "payperiod", "criterion", "category", "policy", "version", "attachment",
                                        "campaign", "associate", "agreement", "sra", "risk",
                                        "accessreview",
                                        *(kind for module in SAMPLE_MODULES for kind in module.PRACTICE_WIDE))]


def _scoped_pair(permission: Any) -> tuple[str, str]:
    """The first role in the table that holds `permission` (any role for a login-only route)."""
    for pair in ROLE_TIERS:
        if permitted(permission, *pair):
            return pair
    raise AssertionError(f"no role holds {permission}")


@pytest.mark.parametrize("route", SCOPED_ROUTES, ids=[route.name for route in SCOPED_ROUTES])
def test_object_routes_refuse_objects_outside_the_users_scope(route: Route, world: World) -> None:
    """A user holding the route's permission at North only: a South object (or someone else's) is not found,
    the attempt is audited and changes nothing; the North object (or their own) opens."""
    role, tier = _scoped_pair(route.permission)
    user = user_with_role(role, tier, locations=[world.north], username="north-only")
    client = signed_in_client(user)
    problems: list[str] = []
    served = {method: getattr(Client(), method.lower())(url_for(route, world, None)).status_code != 405
              for method in ("GET", "POST")}
    url = url_for(route, world, user, in_scope=False)  # may create the sample: before the snapshot
    before = snapshot()
    for method in ("GET", "POST"):
        if not served[method]:
            continue
        denials = denied_count(user)
        response = getattr(client, method.lower())(url)
        if response.status_code != 404:
            problems.append(f"{method} out of scope: {response.status_code}, expected 404")
        if denied_count(user) <= denials:
            problems.append(f"{method} out of scope: no denied AuditEvent")
    if snapshot() != before:
        problems.append("out of scope: the database changed")
    inside = client.get(url_for(route, world, user))
    if inside.status_code not in (200, 405):
        problems.append(f"GET in scope: {inside.status_code}, expected 200")
    assert problems == [], f"{route.name} as {role}/{tier} at North:\n  " + "\n  ".join(problems)
