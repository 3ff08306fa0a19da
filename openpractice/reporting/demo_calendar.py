"""Reporting demo data: calendar (seeder registered with core.seeding.seeder)."""
