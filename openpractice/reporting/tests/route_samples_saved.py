"""Saved report samples for THE route matrix (tests/test_routes.py SAMPLE_MODULES). A saved report belongs to its
owner alone: the one in scope is the actor's own, the one out of scope is somebody else's (the stranger's).

    "saved": saved_report_delete (<pk> = SavedReport)
"""

from __future__ import annotations

from typing import Any

from openpractice.reporting.models import SavedReport


def _report(owner: Any, name: str) -> SavedReport:
    report, _created = SavedReport.objects.get_or_create(
        owner=owner, name=name, defaults={"route": "core:location_list", "query": "status=active&sort=name"})
    return report


def saved_reports(world: Any, actor: Any) -> tuple[SavedReport, SavedReport]:
    others = _report(world.stranger, "The stranger's locations")
    own = _report(actor, "My locations") if actor is not None and actor.pk != world.stranger.pk else others
    return own, others


SAMPLES = {"saved": saved_reports}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: tuple[str, ...] = ()
