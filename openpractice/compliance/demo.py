"""Demo data for the compliance module: the Riverbend policy library (eight policies across the categories, most in
force, one in review, one draft, one in its second version), two acknowledgement campaigns (everyone on the privacy
policy, mostly acknowledged, a few still open and one overdue; the front desk on workstation security) and three
incidents (a misdirected fax assessed as not a breach and closed; a stolen laptop, a breach of 620 people with the
HHS and North Carolina media notices, one of them sent; a medical assistant's snooping, under 500, its affected
patients taken from his audit trail). Runs after workforce (70).

Everything goes through the compliance services: the privacy officer writes and publishes, the senior practice
manager approves (four eyes), the demo users acknowledge their own requests and report what they noticed, so the
demo carries the same checks and audit trail typed-in data does. The services stamp "now" and refuse due dates in
the past, so the campaigns' and versions' dates are moved back afterwards (the demo needs a history); dates count
from the practice's today, so the demo looks the same whenever it is created."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.models import Location
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_record_viewed

from .choices import Audience, BreachDetermination, IncidentKind, NotificationAudience, PolicyCategory, RiskLevel
from .demo_associates import seed_associates
from .demo_sra import seed_sra
from .models import (
    Acknowledgement,
    AcknowledgementCampaign,
    AcknowledgementRequest,
    Incident,
    NotificationDeadline,
    Policy,
    PolicyVersion,
)
from .services import acknowledgements, incidents, policies

PRIVACY_POLICY = "Privacy Policy and Notice of Privacy Practices"
WORKSTATION_POLICY = "Workstation Security"
PASSWORD_POLICY = "Passwords and Multi-Factor Authentication"


@dataclass(frozen=True)
class DemoPolicy:
    title: str
    category: str
    owner: str  # accounts.demo.DEMO_PEOPLE username
    review_months: int
    effective_days_ago: int  # of the version in force (or planned, for the one in review / the draft)
    body_html: str
    state: str = "published"  # "published", "review" or "draft"
    change_summary: str = ""


POLICIES: tuple[DemoPolicy, ...] = (
    DemoPolicy(
        PRIVACY_POLICY, PolicyCategory.PRIVACY, "privacy", 12, 40,
        "<h2>Purpose</h2><p>Riverbend Family Medicine protects the health information of its patients as the HIPAA "
        "Privacy Rule (45 CFR 164.500-534) requires, and tells patients how it is used in its Notice of Privacy "
        "Practices (NPP).</p><h2>Notice of Privacy Practices</h2><ul><li>Every new patient is offered the NPP at "
        "the first visit; the front desk records the written acknowledgement of receipt, or why it could not be "
        "obtained.</li><li>The current NPP is posted at each check-in desk and on the practice website.</li>"
        "<li>When the NPP changes, the new version is posted the day it takes effect and offered at the next "
        "visit.</li></ul><h2>Uses and disclosures</h2><p>Health information is used for treatment, payment and "
        "health care operations. Any other use needs the patient's written authorization or a specific exception "
        "approved by the Privacy Officer.</p><h2>Questions</h2><p>Ask the Privacy &amp; Compliance Officer, "
        "Helen Park.</p>",
        change_summary="Annual review; NPP acknowledgement steps for the front desk."),
    DemoPolicy(
        "Minimum Necessary Use and Disclosure", PolicyCategory.PRIVACY, "privacy", 12, 345,
        "<h2>Policy</h2><p>Workforce members use, disclose and request only the minimum health information needed "
        "for the task in front of them (45 CFR 164.502(b)).</p><h2>In practice</h2><ul><li>Open a chart only for "
        "a patient you are treating, scheduling, billing or otherwise working for.</li><li>Never look up family, "
        "friends, co-workers, neighbours or yourself.</li><li>Send payers and requesters only the records the "
        "request covers.</li></ul><p>Treatment disclosures between providers are exempt from the standard.</p>"),
    DemoPolicy(
        WORKSTATION_POLICY, PolicyCategory.SECURITY, "privacy", 12, 210,
        "<h2>Policy</h2><p>Workstations that display health information are placed and used so that patients and "
        "visitors cannot read them (45 CFR 164.310(b)-(c)).</p><ul><li>Screens at check-in face away from the "
        "waiting room and carry a privacy filter.</li><li>Lock the screen (Windows key + L) every time you step "
        "away; screens lock by themselves after 5 minutes.</li><li>No health information on sticky notes, "
        "personal phones or USB drives.</li><li>Printed schedules and face sheets go in the locked shred bin at "
        "the end of the day.</li></ul>"),
    DemoPolicy(
        "Sanctions for Privacy and Security Violations", PolicyCategory.HR, "pm_senior", 24, 400,
        "<h2>Policy</h2><p>The practice applies appropriate sanctions to workforce members who violate its privacy "
        "and security policies (45 CFR 164.530(e)), and documents them for six years.</p><table><thead><tr>"
        "<th scope=\"col\">Violation</th><th scope=\"col\">Usual sanction</th></tr></thead><tbody>"
        "<tr><td>Careless (e.g. unlocked screen)</td><td>Coaching, retraining</td></tr><tr><td>Repeated or "
        "negligent</td><td>Written warning</td></tr><tr><td>Intentional access without a work reason</td>"
        "<td>Final warning or termination</td></tr><tr><td>For personal gain or malice</td><td>Termination; "
        "report to authorities</td></tr></tbody></table><p>Sanctions are applied by HR with the Privacy "
        "Officer.</p>"),
    DemoPolicy(
        "Breach Response and Notification", PolicyCategory.PRIVACY, "privacy", 12, 150,
        "<h2>Report at once</h2><p>Anyone who notices a possible privacy or security incident reports it the same "
        "day in OpenPractice (Report an incident) or to the Privacy Officer.</p><h2>Assessment</h2><p>The Privacy "
        "Officer assesses the four factors of 45 CFR 164.402(2) and decides whether a breach occurred.</p>"
        "<h2>Notification</h2><ul><li>Individuals: without unreasonable delay and within 60 calendar days of "
        "discovery.</li><li>500 or more residents of a state: prominent media in that state as well.</li>"
        "<li>500 or more in total: HHS at the same time; fewer than 500: the HHS log within 60 days after the end "
        "of the calendar year.</li></ul>"),
    DemoPolicy(
        "Billing and Coding Compliance", PolicyCategory.BILLING, "pm_advanced", 12, -14,
        "<h2>Policy</h2><p>Claims are coded from the documentation of the visit and billed only for services "
        "rendered and medically necessary.</p><ul><li>No code is chosen for its payment; query the provider "
        "when the documentation is unclear.</li><li>A yearly external audit reviews a sample of claims per "
        "provider; error rates above 5% lead to focused education.</li><li>Overpayments are reported and "
        "returned within 60 days of being identified.</li></ul>",
        state="review"),
    DemoPolicy(
        "Fire Safety and Evacuation", PolicyCategory.SAFETY, "om_experienced", 12, -30,
        "<h2>Policy</h2><p>Each location keeps an emergency action and fire prevention plan (29 CFR 1910.38-39) "
        "and drills it once a year.</p><ul><li>Know the two exits nearest your work area and the assembly point "
        "posted by the elevator.</li><li>Extinguishers are checked monthly by the office manager.</li><li>Staff "
        "help patients with mobility needs to leave first; nobody uses the elevator.</li></ul>",
        state="draft"),
)  # fmt: skip

# The password policy in two versions: v1 (passwords only) retired when v2 (MFA for everyone) took effect.
PASSWORD_V1 = (
    "<h2>Policy</h2><p>Every user has their own account; passwords are at least 10 characters and changed every "
    "90 days. Never share a password or write it down.</p>")
PASSWORD_V2 = (
    "<h2>Policy</h2><p>Every user has their own account (45 CFR 164.312(a)(2)(i), (d)).</p><ul><li>Passwords are at "
    "least 12 characters, not on a list of common or breached passwords, and changed when there is a reason to "
    "believe they are known, not on a calendar.</li><li>Every account signs in with a second factor: an "
    "authenticator app, with the recovery codes kept somewhere safe.</li><li>Never share a password or approve a "
    "sign-in you did not start; report it as an incident.</li></ul>")
PASSWORD_V1_DAYS_AGO, PASSWORD_V2_DAYS_AGO = 760, 120

# Everyone's privacy-policy campaign: who has not acknowledged yet. The contract auditor's request was due before
# the audit fieldwork began, earlier than everyone else's: it is the overdue one.
NOT_ACKNOWLEDGED: tuple[str, ...] = ("provider", "clinical", "auditor")
OVERDUE_USERNAME = "auditor"
CAMPAIGN_STARTED_DAYS_AGO, CAMPAIGN_DUE_IN_DAYS, OVERDUE_DAYS = 18, 12, 6

SNOOPED_CHARTS = 9


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@seeder(80)
def seed_compliance(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    privacy, senior = users.get("privacy"), users.get("pm_senior")
    if privacy is None or senior is None:
        return
    seed_associates(context)
    seed_sra(context)
    report = context.setdefault("report", [])
    if Policy.objects.filter(title__in=[spec.title for spec in POLICIES]).exists():
        report.append("compliance: already seeded, nothing added")
        return
    locations: dict[str, Location] = context["locations"]
    today = practice_today()
    built = _policies(privacy=privacy, senior=senior, users=users, today=today)
    _campaigns(privacy=privacy, users=users, built=built, today=today)
    _incidents(privacy=privacy, users=users, locations=locations, today=today)
    report.append(f"{len(built)} policies, {AcknowledgementCampaign.objects.count()} acknowledgement campaigns, "
                  f"{Incident.objects.count()} incidents")


# --- policies --------------------------------------------------------------------------------------------------


def _publish(*, version: PolicyVersion, privacy: User, senior: User, on: dt.date) -> PolicyVersion:
    """Submit, approve (someone other than the author), publish; the workflow's stamps then moved to the days
    before the effective date."""
    policies.version_submit(actor=privacy, version=version)
    policies.version_approve(actor=senior, version=version)
    published = policies.version_publish(actor=privacy, version=version)
    PolicyVersion.objects.filter(pk=version.pk).update(
        submitted_at=_at(on - dt.timedelta(days=9), 10), approved_at=_at(on - dt.timedelta(days=6), 15),
        published_at=_at(on - dt.timedelta(days=2), 9))
    return published


def _policies(*, privacy: User, senior: User, users: dict[str, User], today: dt.date) -> dict[str, Policy]:
    built: dict[str, Policy] = {}
    for spec in POLICIES:
        effective = today - dt.timedelta(days=spec.effective_days_ago)
        policy = policies.policy_create(
            actor=privacy,
            data={"title": spec.title, "category": spec.category, "owner": users[spec.owner],
                  "review_months": spec.review_months},
            version={"body_html": spec.body_html, "change_summary": spec.change_summary, "effective_on": effective})
        draft = policy.versions.get()
        if spec.state == "published":
            _publish(version=draft, privacy=privacy, senior=senior, on=effective)
        elif spec.state == "review":
            policies.version_submit(actor=privacy, version=draft)
        built[spec.title] = policy
    built[PASSWORD_POLICY] = _password_policy(privacy=privacy, senior=senior, today=today)
    return built


def _password_policy(*, privacy: User, senior: User, today: dt.date) -> Policy:
    first_on = today - dt.timedelta(days=PASSWORD_V1_DAYS_AGO)
    second_on = today - dt.timedelta(days=PASSWORD_V2_DAYS_AGO)
    policy = policies.policy_create(
        actor=privacy,
        data={"title": PASSWORD_POLICY, "category": PolicyCategory.SECURITY, "owner": privacy, "review_months": 12},
        version={"body_html": PASSWORD_V1, "effective_on": first_on})
    first = _publish(version=policy.versions.get(), privacy=privacy, senior=senior, on=first_on)
    draft = policies.version_new(actor=privacy, policy=policy)
    policies.version_update(actor=privacy, version=draft, data={
        "body_html": PASSWORD_V2, "effective_on": second_on,
        "change_summary": "Multi-factor sign-in for every account; 12-character passwords, no forced rotation "
                          "(NIST SP 800-63B)."})
    _publish(version=draft, privacy=privacy, senior=senior, on=second_on)
    PolicyVersion.objects.filter(pk=first.pk).update(retired_at=_at(second_on - dt.timedelta(days=2), 9))
    return policy


# --- acknowledgement campaigns ---------------------------------------------------------------------------------


def _campaigns(*, privacy: User, users: dict[str, User], built: dict[str, Policy], today: dt.date) -> None:
    started = today - dt.timedelta(days=CAMPAIGN_STARTED_DAYS_AGO)
    version = built[PRIVACY_POLICY].versions.get(status="published")
    everyone = acknowledgements.campaign_start(
        actor=privacy, version=version, audience=Audience.EVERYONE,
        due_on=today + dt.timedelta(days=CAMPAIGN_DUE_IN_DAYS)).campaign
    AcknowledgementCampaign.objects.filter(pk=everyone.pk).update(created_at=_at(started, 8))
    requests = list(AcknowledgementRequest.objects.filter(campaign=everyone).select_related("user").order_by("pk"))
    for index, request in enumerate(requests):
        if request.user.username in NOT_ACKNOWLEDGED:
            continue
        acknowledgement, _created = acknowledgements.acknowledge(actor=request.user, request=request, attested=True)
        # Spread over the days since the campaign started, as people got to it.
        when = _at(started + dt.timedelta(days=index % CAMPAIGN_STARTED_DAYS_AGO), 9 + index % 8)
        Acknowledgement.objects.filter(pk=acknowledgement.pk).update(acknowledged_at=when)
    AcknowledgementRequest.objects.filter(campaign=everyone, user__username=OVERDUE_USERNAME).update(
        due_on=today - dt.timedelta(days=OVERDUE_DAYS))

    front_desk = acknowledgements.campaign_start(
        actor=privacy, version=built[WORKSTATION_POLICY].versions.get(status="published"),
        audience=Audience.ROLES, roles=[Role.FRONT_DESK], due_on=today + dt.timedelta(days=14),
        attestation="I have read the workstation security policy and keep my check-in screen private and locked.",
    ).campaign
    AcknowledgementCampaign.objects.filter(pk=front_desk.pk).update(created_at=_at(today - dt.timedelta(days=2), 11))


# --- incidents -------------------------------------------------------------------------------------------------


def _incidents(*, privacy: User, users: dict[str, User], locations: dict[str, Location], today: dt.date) -> None:
    _misdirected_fax(privacy=privacy, reporter=users["frontdesk"], location=locations["downtown"], today=today)
    _stolen_laptop(privacy=privacy, reporter=users["pm_advanced"], location=locations["downtown"], today=today)
    _snooping(privacy=privacy, snooper=users["clinical"], location=locations["north-hills"], today=today)


def _misdirected_fax(*, privacy: User, reporter: User, location: Location, today: dt.date) -> None:
    """Not a breach: the recipient is another covered entity that destroyed the page unread; closed."""
    discovered = today - dt.timedelta(days=38)
    incident = incidents.incident_report(
        actor=reporter, title="Lab result faxed to the wrong office", kind=IncidentKind.MISDIRECTED,
        location=location, discovered_on=discovered, occurred_on=discovered,
        description="A lipid panel requested by a cardiology practice was faxed to a dental office whose number "
                    "differs by one digit. The dental office called within the hour to say it had arrived.",
        phi_involved="One patient: name, date of birth, one lab result.")
    incidents.risk_assessment_save(actor=privacy, incident=incident, factors={
        "nature_extent": ("Name, date of birth and a routine lipid panel of one patient; no SSN, no financial or "
                          "sensitive diagnosis information.", RiskLevel.LOW),
        "recipient": ("A dental practice: a HIPAA covered entity with its own duty to protect the information.",
                      RiskLevel.LOW),
        "acquired_viewed": ("The office manager saw the cover sheet only and did not read the result.",
                            RiskLevel.LOW),
        "mitigation": ("Written attestation received the same day that the page was shredded; the cardiology "
                       "number was re-keyed as a saved contact.", RiskLevel.LOW),
    })
    incidents.incident_determine(
        actor=privacy, incident=incident, determination=BreachDetermination.NOT_BREACH,
        reason="Low probability of compromise on all four factors; the recipient attested destruction.")
    incidents.incident_close(actor=privacy, incident=incident)


def _stolen_laptop(*, privacy: User, reporter: User, location: Location, today: dt.date) -> None:
    """A breach of 620 people (540 in North Carolina, 80 in South Carolina): individuals, HHS at once and North
    Carolina media, all 60 days from discovery; the media notice has gone out."""
    discovered = today - dt.timedelta(days=12)
    incident = incidents.incident_report(
        actor=reporter, title="Laptop stolen from a staff car", kind=IncidentKind.LOSS_THEFT, location=location,
        discovered_on=discovered, occurred_on=discovered - dt.timedelta(days=1),
        description="A practice laptop was stolen from a locked car overnight. Its disk encryption had been "
                    "suspended for an update and not turned back on. A police report was filed.",
        phi_involved="A spreadsheet of the outreach list: names, addresses, dates of birth, insurance member IDs "
                     "and last visit dates.")
    incidents.risk_assessment_save(actor=privacy, incident=incident, factors={
        "nature_extent": ("Names, addresses, dates of birth and insurance member IDs: enough for identity and "
                          "insurance fraud.", RiskLevel.HIGH),
        "recipient": ("An unknown thief.", RiskLevel.HIGH),
        "acquired_viewed": ("Unknown; the device has not been recovered and was not encrypted.", RiskLevel.HIGH),
        "mitigation": ("Remote wipe queued (the laptop has not come online); the accounts on it were reset.",
                       RiskLevel.MEDIUM),
    })
    incidents.incident_determine(actor=privacy, incident=incident, determination=BreachDetermination.BREACH,
                                 reason="Unencrypted PHI of 620 people in unknown hands.")
    incidents.incident_counts_set(actor=privacy, incident=incident, total=620, per_state={"NC": 540, "SC": 80})
    media = NotificationDeadline.objects.get(incident=incident, audience=NotificationAudience.MEDIA, state="NC")
    incidents.deadline_done(actor=privacy, deadline=media, done_on=today - dt.timedelta(days=3),
                            note="Press release to The News & Observer and WRAL.")


def _snooping(*, privacy: User, snooper: User, location: Location, today: dt.date) -> None:
    """A breach under 500: individuals within 60 days, HHS in the annual log. The charts he opened are in the audit
    log (written here as the chart view writes them) and the affected list is taken from it."""
    charts = list(Patient.objects.filter(home_location=location, is_active=True).order_by("pk")[:SNOOPED_CHARTS])
    for patient in charts:
        patient_record_viewed(actor=snooper, patient=patient, how="chart")
    incident = incidents.incident_report(
        actor=privacy, title="Medical assistant opened charts without a work reason",
        kind=IncidentKind.UNAUTHORIZED_ACCESS, location=location, discovered_on=today, occurred_on=today,
        description="The access-monitoring report flagged a medical assistant at North Hills who opened the charts "
                    "of neighbours and acquaintances with no appointment, order or message of his. He confirmed "
                    "it was curiosity.",
        phi_involved="Demographics, problem lists, medications and visit notes.")
    incidents.risk_assessment_save(actor=privacy, incident=incident, factors={
        "nature_extent": ("Full charts, including diagnoses and medications.", RiskLevel.HIGH),
        "recipient": ("A workforce member bound by the practice's policies; no further disclosure known.",
                      RiskLevel.MEDIUM),
        "acquired_viewed": ("Viewed: the audit log shows each chart opened.", RiskLevel.HIGH),
        "mitigation": ("Access suspended pending the sanctions review; attestation of no copies or disclosure.",
                       RiskLevel.MEDIUM),
    })
    incidents.incident_determine(actor=privacy, incident=incident, determination=BreachDetermination.BREACH,
                                 reason="Intentional access without a work reason; not an exception.")
    incidents.affected_from_audit(actor=privacy, incident=incident, user=snooper,
                                  start=today - dt.timedelta(days=30), end=today)
    states = Counter(patient.state for patient in charts)
    incidents.incident_counts_set(actor=privacy, incident=incident, total=len(charts), per_state=dict(states))
