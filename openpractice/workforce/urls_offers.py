from __future__ import annotations

from django.urls import path

from .views import offers

urlpatterns = [
    path("hiring/offers/", offers.offer_list, name="offer_list"),
    path("hiring/applicants/<int:applicant_id>/offers/new/", offers.offer_create,
         name="applicant_offer_create"),
    path("hiring/offers/<int:offer_id>/", offers.offer_detail, name="offer_detail"),
    path("hiring/offers/<int:offer_id>/edit/", offers.offer_edit, name="offer_edit"),
    path("hiring/offers/<int:offer_id>/extend/", offers.offer_extend, name="offer_extend"),
    path("hiring/offers/<int:offer_id>/answer/", offers.offer_answer, name="offer_answer"),
    path("hiring/offers/<int:offer_id>/withdraw/", offers.offer_withdraw, name="offer_withdraw"),
    path("hiring/offers/<int:offer_id>/letter.pdf", offers.offer_letter, name="offer_letter"),
    path("hiring/offers/<int:offer_id>/hire/", offers.offer_hire, name="offer_hire"),
]
