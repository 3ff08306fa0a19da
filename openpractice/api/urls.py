from ninja import NinjaAPI

api = NinjaAPI(title="OpenPractice API", version="1", urls_namespace="api-v1")
