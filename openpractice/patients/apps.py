from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "openpractice.patients"
    label = "patients"
    verbose_name = "Patients and insurance"
