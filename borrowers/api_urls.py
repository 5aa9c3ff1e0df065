from django.urls import path

from . import api

urlpatterns = [
    path("borrowers/", api.BorrowerListCreateApi.as_view(), name="api-borrower-list"),
    path("borrowers/bulk/", api.BorrowerBulkApi.as_view(), name="api-borrower-bulk"),
    path("borrowers/<str:external_id>/", api.BorrowerDetailApi.as_view(), name="api-borrower-detail"),
    path("borrowers/<str:external_id>/holds/", api.BorrowerHoldListCreateApi.as_view(), name="api-borrower-holds"),
    path(
        "borrowers/<str:external_id>/opt-outs/",
        api.BorrowerOptOutListCreateApi.as_view(),
        name="api-borrower-opt-outs",
    ),
    path("holds/<int:pk>/", api.HoldDetailApi.as_view(), name="api-hold-detail"),
]
