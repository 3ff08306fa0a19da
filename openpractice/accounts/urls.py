from . import urls_auth, urls_tokens, urls_users

app_name = "accounts"

# One file of routes per topic, so that sign-in, user management and tokens stay apart.
urlpatterns = [*urls_auth.urlpatterns, *urls_users.urlpatterns, *urls_tokens.urlpatterns]
