"""The API's shared base, used by every app's ``api`` module: the tenant view base and key auth
(``base``, ``auth``), the error shape (``errors``), bounded body parsers (``parsers``), strict serializers
(``serializers``), filters and cursor pagination, the list and bulk view bases (``views``), schema
helpers (``schema``), the per-key throttle (``throttle``) and the ``/api/`` routes (``urls``)."""
