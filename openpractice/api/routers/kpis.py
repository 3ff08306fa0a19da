"""/kpis: see the module that fills this router (reporting)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["kpis"])
