"""Training and discipline routes (namespace "workforce")."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import discipline, training

urlpatterns: list[URLPattern] = [
    # Training
    path("training/", training.assignment_list, name="training_list"),
    path("training/overdue/", training.overdue_list, name="training_overdue"),
    path("training/mine/", training.my_training, name="training_mine"),
    path("training/assign/", training.assignment_create, name="training_assign"),
    path("training/settings/", training.training_settings, name="training_settings"),
    path("training/<int:pk>/", training.assignment_detail, name="training_detail"),
    path("training/<int:pk>/complete/", training.assignment_complete, name="training_complete"),
    path("training/<int:pk>/waive/", training.assignment_waive, name="training_waive"),
    path("training/<int:pk>/certificate/", training.certificate_download, name="training_certificate"),
    path("training/courses/", training.course_list, name="course_list"),
    path("training/courses/new/", training.course_create, name="course_create"),
    path("training/courses/<int:pk>/edit/", training.course_edit, name="course_edit"),
    # Discipline (confidential: workforce.discipline in scope; the employee reads and acknowledges their own)
    path("discipline/", discipline.action_list, name="discipline_list"),
    path("discipline/new/", discipline.action_create, name="discipline_create"),
    path("discipline/mine/", discipline.my_actions, name="discipline_mine"),
    path("discipline/<int:pk>/", discipline.action_detail, name="discipline_detail"),
    path("discipline/<int:pk>/follow-ups/", discipline.follow_up_add, name="discipline_follow_up_add"),
    path("discipline/follow-ups/<int:pk>/", discipline.follow_up_record, name="followup_record"),
    path("discipline/<int:pk>/close/", discipline.action_close, name="discipline_close"),
    path("discipline/<int:pk>/acknowledge/", discipline.action_acknowledge, name="discipline_acknowledge"),
]
