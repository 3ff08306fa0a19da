"""Demo data of the reporting app: each part keeps its seeder in its own module (targets and dashboards,
budgets, the brief, calendar feeds), registered when this module is imported by `openpractice demo`."""

from . import demo_brief, demo_budgets, demo_calendar, demo_targets  # noqa: F401 - registers their seeders
