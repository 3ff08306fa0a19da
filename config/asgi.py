import os

from django.core.asgi import get_asgi_application

# A server started without DJANGO_SETTINGS_MODULE gets production settings, which refuse to start without
# real secrets; base.py's development secret and public field key are for manage.py and `openpractice serve`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()
