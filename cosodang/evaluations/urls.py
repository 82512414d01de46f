"""Pages of the evaluations app at /danh-gia/; each area's view module lists its patterns."""

from cosodang.evaluations.views import cycle, packs, plan, ratings, reviews

app_name = "evaluations"

urlpatterns = [
    *packs.urlpatterns,
    *cycle.urlpatterns,
    *reviews.urlpatterns,
    *plan.urlpatterns,
    *ratings.urlpatterns,
]
