"""Access reviews (namespace "compliance"): compliance.view reads, compliance.manage writes, the privacy officer
signs off. URL names start with the kind of object their <pk> is: accessreview_* take an AccessReview."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import access_reviews

urlpatterns: list[URLPattern] = [
    path("access-reviews/", access_reviews.accessreview_list, name="accessreview_list"),
    path("access-reviews/new/", access_reviews.accessreview_new, name="accessreview_new"),
    path("access-reviews/<int:pk>/", access_reviews.accessreview_detail, name="accessreview_detail"),
    path("access-reviews/<int:pk>/note/", access_reviews.accessreview_note, name="accessreview_note"),
    path("access-reviews/<int:pk>/sign-off/", access_reviews.accessreview_sign_off, name="accessreview_sign_off"),
]
