"""Reporting's background jobs (djhuey loads modules named `tasks`): each part keeps its jobs in its own module,
imported here so djhuey finds them: the calendar's weekly digest, the operations brief's schedule and the
dashboards' warm-up."""

from __future__ import annotations

from . import tasks_brief, tasks_calendar, tasks_dashboards  # noqa: F401 - registered with huey on import
