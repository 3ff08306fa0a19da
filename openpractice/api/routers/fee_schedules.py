"""/fee-schedules (being built)."""

from ninja import Router

router = Router(tags=["fee-schedules"])
