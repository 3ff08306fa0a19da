"""Interview reads. (Being built: `applicant_interview_panel` is what the applicant page shows.)"""

from __future__ import annotations

from typing import Any

from ..models import Applicant


def applicant_interview_panel(*, actor: Any, applicant: Applicant) -> dict[str, Any]:
    """Context for workforce/interviews/_applicant_panel.html on the applicant page."""
    return {}
