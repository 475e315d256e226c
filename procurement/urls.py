from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("tenders/", views.tender_list, name="tender-list"),
    path("tenders/new/", views.tender_create, name="tender-create"),
    path("tenders/mine/", views.my_tenders, name="my-tenders"),
    path("tenders/<int:pk>/", views.tender_detail, name="tender-detail"),
    path("tenders/<int:pk>/transition/", views.tender_transition, name="tender-transition"),
    path("tenders/<int:pk>/award/", views.tender_award, name="tender-award"),
    path("tenders/<int:pk>/bid/", views.tender_bid, name="tender-bid"),
    path("bids/", views.bid_list, name="bid-list"),
    path("contracts/", views.contract_list, name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("demands/", views.demand_list, name="demand-list"),
    path("demands/new/", views.demand_create, name="demand-create"),
    path("demands/coverage/", views.demand_coverage_view, name="demand-coverage"),
    path("demands/<int:pk>/", views.demand_detail, name="demand-detail"),
    path("demands/<int:pk>/answer/", views.demand_answer, name="demand-answer"),
]
