from django.urls import path

from . import views

urlpatterns = [
    path("roadmaps/", views.roadmap_list, name="roadmap-list"),
    path("roadmaps/<int:pk>/", views.roadmap_detail, name="roadmap-detail"),
]
