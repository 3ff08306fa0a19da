from __future__ import annotations

from django.urls import URLPattern, path

from .views import interviews as views

urlpatterns: list[URLPattern] = [
    path("hiring/applicants/<int:applicant_id>/interviews/new/", views.applicant_interview_schedule,
         name="applicant_interview_schedule"),
    path("hiring/interviews/mine/", views.my_interviews, name="my_interviews"),
    path("hiring/interviews/<int:interview_id>/", views.interview_detail, name="interview_detail"),
    path("hiring/interviews/<int:interview_id>/reschedule/", views.interview_reschedule,
         name="interview_reschedule"),
    path("hiring/interviews/<int:interview_id>/cancel/", views.interview_cancel, name="interview_cancel"),
    path("hiring/interviews/<int:interview_id>/outcome/", views.interview_close, name="interview_close"),
    path("hiring/interviews/<int:interview_id>/send-again/", views.interview_resend, name="interview_resend"),
    path("hiring/interviews/<int:interview_id>/scorecard/", views.interview_scorecard, name="interview_scorecard"),
    path("hiring/interview-criteria/", views.criterion_list, name="criterion_list"),
    path("hiring/interview-criteria/new/", views.criterion_create, name="criterion_create"),
    path("hiring/interview-criteria/<int:pk>/edit/", views.criterion_edit, name="criterion_edit"),
]
