"""API of the evaluations app: cycle."""

from ninja import Router

router = Router()
