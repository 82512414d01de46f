"""API of the evaluations app, mounted at /api/v1/evaluations/."""

from ninja import Router

router = Router(tags=["evaluations"])
