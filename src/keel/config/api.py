from ninja import Swagger

from keel.accounts.api import BearerToken
from keel.cmdb.api import router as cmdb_router
from keel.escalation.api import router as escalation_router
from keel.incidents.api import router as incidents_router
from keel.integrations.api import router as integrations_router
from keel.lib.api import JsonBodies, KeelAPI, install_error_handlers
from keel.notifications.api import router as notifications_router
from keel.oncall.api import router as oncall_router
from keel.reporting.api import router as reporting_router
from keel.routing.api import router as routing_router
from keel.sla.api import router as sla_router

api = KeelAPI(
    title="Keel API",
    version="1",
    description="IT incident management. Authenticate with `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api-v1",
    parser=JsonBodies(),
    # No validator badge: Swagger UI would load it from validator.swagger.io, which the CSP refuses.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)
api.add_router("/", incidents_router)
api.add_router("/", cmdb_router)
api.add_router("/", reporting_router)
api.add_router("/", sla_router)
api.add_router("/", integrations_router)
api.add_router("/", routing_router)
api.add_router("/", escalation_router)
api.add_router("/", notifications_router)
api.add_router("/", oncall_router)
