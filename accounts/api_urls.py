"""``/api/v1/`` routes. Object-id kwargs are named ``<model>_external_id`` / ``<model>_pk`` so the
isolation suite can try each from another tenant."""


urlpatterns: list = []
