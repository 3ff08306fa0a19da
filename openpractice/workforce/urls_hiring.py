"""Requisitions and applicants (the pipeline board is on the requisition page)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import hiring

urlpatterns: list[URLPattern] = [
    path("hiring/requisitions/", hiring.requisition_list, name="requisition_list"),
    path("hiring/requisitions/new/", hiring.requisition_create, name="requisition_create"),
    path("hiring/requisitions/<int:requisition_id>/", hiring.requisition_detail, name="requisition_detail"),
    path("hiring/requisitions/<int:requisition_id>/edit/", hiring.requisition_edit, name="requisition_edit"),
    path("hiring/requisitions/<int:requisition_id>/submit/", hiring.requisition_submit, name="requisition_submit"),
    path("hiring/requisitions/<int:requisition_id>/decide/", hiring.requisition_decide, name="requisition_decide"),
    path("hiring/requisitions/<int:requisition_id>/cancel/", hiring.requisition_cancel, name="requisition_cancel"),
    path("hiring/requisitions/<int:requisition_id>/applicants/new/", hiring.applicant_create,
         name="requisition_applicant_create"),
    path("hiring/applicants/<int:applicant_id>/", hiring.applicant_detail, name="applicant_detail"),
    path("hiring/applicants/<int:applicant_id>/edit/", hiring.applicant_edit, name="applicant_edit"),
    path("hiring/applicants/<int:applicant_id>/stage/", hiring.applicant_stage, name="applicant_stage"),
    path("hiring/applicants/<int:applicant_id>/resume/", hiring.applicant_resume, name="applicant_resume"),
    path("hiring/applicants/<int:applicant_id>/resume/replace/", hiring.applicant_resume_replace,
         name="applicant_resume_replace"),
]
