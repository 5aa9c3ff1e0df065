from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    # "/" is the sign-in page; signed-in users are sent on to `home` (the case list).
    path("", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set-language"),
    path("settings/", views.personal_settings, name="personal-settings"),
]
