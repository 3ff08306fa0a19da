from django.urls import path

from .views import outbox, users

# People under /accounts/users/, the invited person's page (no sign-in) and demo mode's Outbox.
urlpatterns = [
    path("users/", users.user_list, name="user_list"),
    path("users/invite/", users.user_invite, name="user_invite"),
    path("users/<int:pk>/", users.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", users.user_edit, name="user_edit"),
    path("users/<int:pk>/roles/", users.user_roles, name="user_roles"),
    path("users/<int:pk>/deactivate/", users.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", users.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/invitation/resend/", users.invitation_resend, name="invitation_resend"),
    path("users/<int:pk>/invitation/revoke/", users.invitation_revoke, name="invitation_revoke"),
    # Declared before the token route, which would otherwise take "set-password" for a token.
    path("invitation/set-password/", users.invitation_set_password, name="invitation_set_password"),
    path("invitation/<str:token>/", users.invitation_accept, name="invitation_accept"),
    path("outbox/", outbox.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", outbox.outbox_detail, name="outbox_detail"),
]
