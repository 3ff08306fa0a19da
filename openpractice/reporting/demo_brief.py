"""Reporting demo data: brief (seeder registered with core.seeding.seeder)."""
