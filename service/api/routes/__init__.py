"""The API's routers, one module per resource, mounted under /api/v1 by `service.app`."""
