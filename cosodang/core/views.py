"""Cross-cutting pages: home, health check, pending product areas, the audit view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from . import audit
from .access import Action, may_see_identifiers, visible_to
from .models import AuditEvent

# Product areas whose issue has not landed yet: shown as "chưa triển khai" pages.
AREAS: dict[str, tuple[str, str]] = {
    "sinh-hoat": (
        "Sinh hoạt chi bộ",
        "Sinh hoạt thường kỳ và chuyên đề, điểm danh, biên bản, biểu quyết, nghị quyết gắn với "
        "nhiệm vụ của đơn vị và theo dõi thực hiện, đánh giá chất lượng buổi sinh hoạt.",
    ),
    "gop-y": (
        "Góp ý dự thảo, hội thảo",
        "Gửi dự thảo xin ý kiến nhiều đơn vị, góp ý theo từng mục, bảng tổng hợp tiếp thu, giải "
        "trình, các phiên bản sửa đổi; hội thảo với các điểm cầu và tham luận.",
    ),
    "nghiep-vu": (
        "Bồi dưỡng, kiểm tra, chuyển sinh hoạt, huy hiệu, đảng phí",
        "Bồi dưỡng cấp ủy viên, kiểm tra giám sát, chuyển sinh hoạt đảng, xét tặng huy hiệu "
        "Đảng và thu nộp đảng phí.",
    ),
    "thong-ke": (
        "Thống kê, báo cáo, dự báo",
        "Thống kê theo biểu mẫu chính thức, bảng điều khiển và dự báo (ví dụ tổng kết "
        "2010–2020 và giai đoạn tiếp theo).",
    ),
    "ban-tin": (
        "Bản tin nội bộ",
        "Tin tức, phản hồi của bạn đọc, các tin khác, xem nhiều nhất, liên kết website; thông "
        "báo có xác nhận đã đọc.",
    ),
}


def home(request: HttpRequest) -> HttpResponse:
    """Send visitors to the tree (or the login page)."""
    return redirect("orgs:tree")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the application can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": "error", "detail": type(exc).__name__}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@login_required
def area(request: HttpRequest, slug: str) -> HttpResponse:
    """Show what a product area will do until its issue lands."""
    if slug not in AREAS:
        raise Http404
    title, description = AREAS[slug]
    return render(
        request,
        "core/area_pending.html",
        {
            "area_title": title,
            "area_description": description,
            "nav": slug,
        },
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Show the audit trail within the user's scope, newest first, identifiers masked."""
    qs = visible_to(request.user, AuditEvent.objects.all(), Action.VIEW_AUDIT)
    obj_type = request.GET.get("type", "")
    if obj_type:
        qs = qs.filter(object_type=obj_type)
    obj_id = request.GET.get("id", "")
    if obj_id:
        qs = qs.filter(object_id=obj_id)
    page = Paginator(qs.order_by("-id"), 50).get_page(request.GET.get("page"))
    rows = [
        (
            event,
            audit.masked_diff(
                event.diff, may_see_identifiers=may_see_identifiers(request.user, event.org_path)
            ),
        )
        for event in page.object_list
    ]
    return render(
        request,
        "core/audit_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "nav": "audit",
            "type": obj_type,
            "id": obj_id,
        },
    )
