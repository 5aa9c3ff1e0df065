from django.urls import path

from . import api

urlpatterns = [
    path("contacts/", api.ContactListCreateApi.as_view(), name="api-contacts"),
    path("contacts/<int:pk>/outcome/", api.ContactOutcomeApi.as_view(), name="api-contact-outcome"),
]
