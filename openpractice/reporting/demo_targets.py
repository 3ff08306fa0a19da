"""Reporting demo data: targets (seeder registered with core.seeding.seeder)."""
