"""API of the evaluations app, mounted at /api/v1/evaluations/: one router per area."""

from ninja import Router

from cosodang.evaluations.api.cycle import router as cycle_router
from cosodang.evaluations.api.packs import router as packs_router
from cosodang.evaluations.api.ratings import router as ratings_router

router = Router(tags=["evaluations"])
router.add_router("", packs_router)
router.add_router("", cycle_router)
router.add_router("", ratings_router)
