from django.urls import path

from agents import views

app_name = "agents"

urlpatterns = [
    path("agen/", views.dashboard, name="dashboard"),
    path("agen/daftarkan/", views.register_trader, name="register"),
    path("agen/tunai/", views.cash, name="cash"),
    path("agen/setor/", views.settle, name="settle"),
]
