from django.urls import include, path

app_name = "suppliers"

urlpatterns = [
    path("offers/import/", include("suppliers.import_urls")),
]
