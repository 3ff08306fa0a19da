"""Workforce: positions and the org chart, employees, pay, credentials, training, onboarding, discipline."""
