from django.urls import path

from .views import tokens

# Personal API tokens: every signed-in user manages their own, under /accounts/tokens/.
urlpatterns = [
    path("tokens/", tokens.token_list_view, name="token_list"),
    path("tokens/new/", tokens.token_create_view, name="token_create"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
]
