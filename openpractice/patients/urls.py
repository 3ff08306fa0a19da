from django.urls import path

from .views import patients as views
from .views import payers

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_register, name="patient_register"),
    path("<int:pk>/", views.patient_detail, name="patient_detail"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:pk>/merge/", views.patient_merge, name="patient_merge"),
    path("<int:pk>/coverage/new/", views.patient_coverage_add, name="patient_coverage_add"),
    path("coverage/<int:pk>/edit/", views.coverage_edit, name="coverage_edit"),
    path("coverage/<int:pk>/end/", views.coverage_end, name="coverage_end"),
    path("coverage/<int:pk>/card/", views.coverage_card, name="coverage_card"),
    path("cards/<int:pk>/", views.card_download, name="card_download"),
    path("payers/", payers.payer_list, name="payer_list"),
    path("payers/new/", payers.payer_create, name="payer_create"),
    path("payers/import/", payers.payer_import, name="payer_import"),
    path("payers/<int:pk>/", payers.payer_detail, name="payer_detail"),
    path("payers/<int:pk>/edit/", payers.payer_edit, name="payer_edit"),
    path("payers/<int:pk>/plans/", payers.payer_plan_add, name="payer_plan_add"),
]
