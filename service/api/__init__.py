"""The JSON API under /api/v1: request and response schemas, suggestions as audited answers,
and one router per resource."""
