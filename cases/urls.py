from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    # Where signed-in users land (LOGIN_REDIRECT_URL): the case list, until roles get their own start pages.
    path("cases/", views.CaseListView.as_view(), name="home"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
]
