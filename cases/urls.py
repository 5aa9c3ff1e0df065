from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    # Where signed-in users land (LOGIN_REDIRECT_URL): the case list; collectors are sent on to their
    # work queue by the sign-in view (accounts.views.SignInView).
    path("cases/", views.CaseListView.as_view(), name="home"),
]
