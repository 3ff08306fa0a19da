"""Seed the security risk assessment questions: eight per safeguard family, written for this project after the
topics of the HHS/ONC Security Risk Assessment tool, each with its HIPAA Security Rule reference. The practice may
add its own or deactivate these later; the reverse removes exactly these (by safeguard, reference and text)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("administrative", "164.308(a)(1)(ii)(A)",
     "Has the practice analysed, within the last year, where its electronic PHI lives and what could threaten its "
     "confidentiality, integrity and availability?"),
    ("administrative", "164.308(a)(1)(ii)(B)",
     "Is there a written plan that reduces the risks found to a reasonable level, with someone responsible for it?"),
    ("administrative", "164.308(a)(2)",
     "Has one person been named responsible for information security, and does the staff know who it is?"),
    ("administrative", "164.308(a)(3)",
     "Are staff given access to PHI only as their job needs, and is access removed the day someone leaves?"),
    ("administrative", "164.308(a)(5)",
     "Does every workforce member receive security awareness training when hired and at least once a year "
     "(phishing, passwords, reporting)?"),
    ("administrative", "164.308(a)(6)",
     "Does the practice have written steps to spot, report, contain and document security incidents?"),
    ("administrative", "164.308(a)(7)",
     "Are PHI systems backed up, the backups kept away from the office and a restore tested, with a plan for "
     "working through an outage?"),
    ("administrative", "164.308(b)",
     "Is there a signed business associate agreement with every vendor that creates, receives, keeps or sends "
     "PHI for the practice?"),
    ("physical", "164.310(a)(1)",
     "Are the rooms holding servers, network equipment and records locked, with a record of who holds keys or "
     "badges?"),
    ("physical", "164.310(a)(2)(iii)",
     "Are visitors and maintenance workers signed in and accompanied where PHI or equipment is kept?"),
    ("physical", "164.310(a)(2)(iv)",
     "Are repairs and changes to locks, doors and alarms protecting PHI areas written down?"),
    ("physical", "164.310(b)",
     "Are there rules for how workstations are used (screens out of public view, no PHI on personal devices)?"),
    ("physical", "164.310(c)",
     "Are workstations and laptops physically secured (cable locks, locked rooms) and screens locked when "
     "unattended?"),
    ("physical", "164.310(d)(2)(i)",
     "Are disks, drives, phones and paper holding PHI destroyed or wiped so that the PHI cannot be recovered, "
     "with a certificate or log?"),
    ("physical", "164.310(d)(2)(ii)",
     "Are devices and media wiped before they are reused or handed to someone else?"),
    ("physical", "164.310(d)(2)(iii)",
     "Does the practice keep an inventory of devices and media holding PHI and who is responsible for each?"),
    ("technical", "164.312(a)(2)(i)",
     "Does every person sign in with their own user name (no shared accounts), in every system holding PHI?"),
    ("technical", "164.312(a)(2)(ii)",
     "Is there a way to reach PHI in an emergency (an outage, the usual user away) that is documented and tested?"),
    ("technical", "164.312(a)(2)(iii)",
     "Do systems holding PHI sign people out or lock after a period without activity?"),
    ("technical", "164.312(a)(2)(iv)",
     "Is PHI encrypted where it is stored: laptops, phones, servers, backups and removable media?"),
    ("technical", "164.312(b)",
     "Do systems record who viewed or changed PHI, and does someone review those records regularly?"),
    ("technical", "164.312(c)(1)",
     "Are there controls that stop PHI being changed or deleted improperly, and a way to notice if it was?"),
    ("technical", "164.312(d)",
     "Are people proven to be who they say before reaching PHI (strong passwords, two-factor sign-in for remote "
     "access)?"),
    ("technical", "164.312(e)(1)",
     "Is PHI encrypted when it travels over a network (email, patient portal, file transfer, remote access)?"),
)


def seed(apps: Any, schema_editor: Any) -> None:
    question = apps.get_model("compliance", "SraQuestion")
    orders: dict[str, int] = {}
    rows = []
    for safeguard, reference, text in QUESTIONS:
        orders[safeguard] = orders.get(safeguard, 0) + 10
        rows.append(question(safeguard=safeguard, reference=reference, text=text, order=orders[safeguard]))
    question.objects.bulk_create(rows)


def unseed(apps: Any, schema_editor: Any) -> None:
    question = apps.get_model("compliance", "SraQuestion")
    for safeguard, reference, text in QUESTIONS:
        question.objects.filter(safeguard=safeguard, reference=reference, text=text).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_access_reviews_and_sra")]

    operations = [migrations.RunPython(seed, unseed)]
