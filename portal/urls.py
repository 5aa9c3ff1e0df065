from django.urls import path

from . import views

# The token is what portal.services makes: 22 URL-safe characters (43 for links made before).
urlpatterns = [
    path("p/<slug:token>/", views.entry, name="portal-entry"),
    path("p/<slug:token>/home/", views.home, name="portal-home"),
    path("p/<slug:token>/pay/", views.pay, name="portal-pay"),
    path("p/<slug:token>/promise/", views.promise, name="portal-promise"),
    path("p/<slug:token>/plans/", views.plans, name="portal-plans"),
    path("p/<slug:token>/plans/accept/", views.plan_accept, name="portal-plan-accept"),
    path("p/<slug:token>/plans/more/", views.more_help, name="portal-more-help"),
    path("p/<slug:token>/preferences/", views.preferences, name="portal-preferences"),
    path("p/<slug:token>/contact-times/", views.contact_times, name="portal-contact-times"),
    path("p/<slug:token>/dispute/", views.dispute, name="portal-dispute"),
    path("p/<slug:token>/hardship/", views.hardship, name="portal-hardship"),
]
