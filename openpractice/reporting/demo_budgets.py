"""Reporting demo data: budgets (seeder registered with core.seeding.seeder)."""
