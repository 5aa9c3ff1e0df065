from django.urls import path

from . import api

urlpatterns = [
    path("cases/<int:pk>/promises/", api.CasePromiseListCreateApi.as_view(), name="api-case-promises"),
]
