"""API of the admissions app, mounted at /api/v1/admissions/."""

from ninja import Router

router = Router(tags=["admissions"])
