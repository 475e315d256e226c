app_name = "certification"

urlpatterns = []
