from django.urls import path

from .views import settings as views

app_name = "core"

# The practice's own settings, under /settings/.
urlpatterns = [
    path("practice/", views.practice_detail, name="practice"),
    path("practice/edit/", views.practice_edit, name="practice_edit"),
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_detail, name="location_detail"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location_edit"),
    path("locations/<int:pk>/hours/", views.location_hours, name="location_hours"),
    path("locations/<int:pk>/deactivate/", views.location_deactivate, name="location_deactivate"),
    path("locations/<int:pk>/reactivate/", views.location_reactivate, name="location_reactivate"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/deactivate/", views.department_deactivate, name="department_deactivate"),
    path("departments/<int:pk>/reactivate/", views.department_reactivate, name="department_reactivate"),
]
