"""Pages of the evaluations app at /danh-gia/; each area's view module lists its patterns."""

from cosodang.evaluations.views import cycle, packs, plan, ratings

app_name = "evaluations"

urlpatterns = [*packs.urlpatterns, *cycle.urlpatterns, *plan.urlpatterns, *ratings.urlpatterns]
