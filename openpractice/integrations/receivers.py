"""Listeners for the domain events that core.events announces (filled in by the webhooks work)."""
