from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="api-case")

urlpatterns = [
    path("loans/", api.LoanListCreateApi.as_view(), name="api-loan-list"),
    path("loans/bulk/", api.LoanBulkApi.as_view(), name="api-loan-bulk"),
    path("loans/<str:external_id>/", api.LoanDetailApi.as_view(), name="api-loan-detail"),
    path("loans/<str:external_id>/pauses/", api.LoanPauseListCreateApi.as_view(), name="api-loan-pauses"),
    path("pauses/<int:pk>/", api.PauseDetailApi.as_view(), name="api-pause-detail"),
    path("payments/", api.PaymentCreateApi.as_view(), name="api-payment-create"),
    path("payments/bulk/", api.PaymentBulkApi.as_view(), name="api-payment-bulk"),
    *router.urls,
]
