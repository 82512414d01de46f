"""API of the evaluations app: packs."""

from ninja import Router

router = Router()
