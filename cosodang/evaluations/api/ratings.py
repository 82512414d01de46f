"""API of the evaluations app: ratings."""

from ninja import Router

router = Router()
