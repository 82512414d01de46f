"""Pages of the evaluations app: correcting a period's plan after it was made.

The deciding committee of the period's organisation (the permission that plans and opens it)
changes the plan's dates while the period is not closed; the dates keep their order
(rules_cycle.check_plan) and each change is a step of the period's timeline.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from cosodang.core.access import Action, require
from cosodang.core.forms import apply_errors
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle as services
from cosodang.evaluations.views.cycle import NAV, PeriodForm


class PlanForm(forms.Form):
    """The plan's dates of a period, as on the form that planned it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, _ in rc.PLAN_FIELDS:
            self.fields[name] = copy.deepcopy(PeriodForm.base_fields[name])

    def plan(self) -> dict[str, date | None]:
        return {name: self.cleaned_data.get(name) for name, _ in rc.PLAN_FIELDS}


@login_required
def period_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the plan's dates of a period (DECIDE_EVALUATION on its organisation)."""
    period = sel.get_period(request.user, pk)
    require(request.user, Action.DECIDE_EVALUATION, period.org)
    initial = {name: getattr(period, name) for name, _ in rc.PLAN_FIELDS}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_plan(actor=request.user, period=period, plan=form.plan())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã sửa kế hoạch kỳ đánh giá {period.label}.")
            return redirect("evaluations:period_detail", pk=period.pk)
    return render(
        request,
        "evaluations/cycle/plan_form.html",
        {
            "period": period,
            "form": form,
            "locked": services.refuse_plan_change(period),
            "nav": NAV,
        },
    )


urlpatterns = [
    path("ky/<int:pk>/ke-hoach/", period_plan_edit, name="period_plan"),
]
