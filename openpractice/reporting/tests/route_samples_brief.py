"""Operations brief samples for THE route matrix (tests/test_routes.py SAMPLE_MODULES). A brief is practice-wide
(no location): reports.manage holders open it, so there is no out-of-scope brief. Its snapshot needs no permission
beyond reports.manage, so every holder of it opens the sample.

    "brief": brief_detail, brief_pdf (<pk> = Brief)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpractice.accounts.roles import Perm
from openpractice.reporting.choices import BriefStatus
from openpractice.reporting.models import Brief

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def sample_brief() -> Brief:
    return Brief.objects.create(
        period_start=dt.date(2026, 3, 2), period_end=dt.date(2026, 3, 8), status=BriefStatus.SENT, pdf=PDF,
        recipients=["board@owners.example"],
        snapshot={"version": 1, "practice": "Sample practice", "frequency": "weekly",
                  "period": {"start": "2026-03-02", "end": "2026-03-08", "label": "Mar 2, 2026 to Mar 8, 2026"},
                  "previous": {"start": "2026-02-23", "end": "2026-03-01", "label": "Feb 23, 2026 to Mar 1, 2026"},
                  "compiled_at": "2026-03-09T12:00:00+00:00", "as_of": "2026-03-09",
                  "compiler": {"id": None, "name": "Sample", "scope": []}, "permissions": [Perm.REPORTS_MANAGE],
                  "kpis": [], "exceptions": [], "charts": []})


def briefs(world: Any, actor: Any) -> tuple[Brief, None]:
    cache: dict[str, Brief] = world.__dict__.setdefault("_brief_samples", {})
    if "brief" not in cache:
        cache["brief"] = sample_brief()
    return cache["brief"], None


SAMPLES = {"brief": briefs}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE = ("brief",)
