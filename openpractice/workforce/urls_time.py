"""Time and payroll-prep routes (namespace "workforce")."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import time

urlpatterns: list[URLPattern] = [
    # Self-service
    path("time/", time.time_mine, name="time_mine"),
    path("time/clock/", time.time_clock, name="time_clock"),
    path("time/week/", time.time_week, name="time_week"),
    path("time/pto/new/", time.pto_request_create, name="pto_request_create"),
    path("time/pto/<int:pk>/cancel/", time.pto_cancel, name="pto_cancel"),
    # Payroll (workforce.payroll in scope; pay periods at every location)
    path("time/entries/", time.timesheet_list, name="timesheet_list"),
    path("time/employees/<int:pk>/", time.employee_timesheet, name="employee_timesheet"),
    path("time/pto/", time.pto_list, name="pto_list"),
    path("time/pto/<int:pk>/decide/", time.pto_decide, name="pto_decide"),
    path("time/periods/", time.payperiod_list, name="payperiod_list"),
    path("time/periods/<int:pk>/close/", time.payperiod_close, name="payperiod_close"),
    path("time/periods/<int:pk>/reopen/", time.payperiod_reopen, name="payperiod_reopen"),
    path("time/periods/<int:pk>/export.csv", time.payperiod_export, name="payperiod_export"),
]
