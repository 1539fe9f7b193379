"""The base of every API view: authenticate the key, check its scope, then enter its tenant's scope.

Subclasses never resolve the tenant themselves; ``tests/architecture`` checks that every view under
``/api/v1/`` derives from :class:`TenantAPIView`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import activate, deactivate

if TYPE_CHECKING:
    from accounts.models import Tenant


class TenantAPIView(APIView):
    tenant: Tenant

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and scope checks happen here
        self.tenant = request.auth.tenant
        self._tenant_scope_token = activate(self.tenant)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        self._tenant_scope_token = None
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._tenant_scope_token is not None:
                deactivate(self._tenant_scope_token)
