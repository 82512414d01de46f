"""The HTTP API (django-ninja) at /api/v1/: routers of each app, Bearer-token auth."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import ninja
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError
from ninja.openapi.docs import DocsBase

from cosodang.admissions.api import router as admissions_router
from cosodang.admissions.api_workdays import router as workdays_router
from cosodang.api_auth import TokenAuth
from cosodang.evaluations.api import router as evaluations_router
from cosodang.members.api import router as members_router
from cosodang.orgs.api import router as orgs_router

# Services name foreign keys by the model field; the API takes them as `<field>_id`.
FIELD_ALIASES = {"org": "org_id", "parent": "parent_id", "merged_into": "merged_into_id"}

# Swagger UI files shipped inside the pinned django-ninja wheel: served from here so the docs
# page loads nothing from a CDN (deployments run on closed networks).
_NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}

# Vietnamese messages for the input errors pydantic reports most often.
INPUT_MESSAGES = {
    "missing": "Trường này là bắt buộc.",
    "extra_forbidden": "Trường này không được phép.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_long": "Tối đa {max_length} ký tự.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_type": "Phải là true hoặc false.",
    "decimal_type": "Phải là một số.",
    "decimal_parsing": "Phải là một số.",
    "decimal_max_places": "Tối đa {decimal_places} chữ số thập phân.",
    "float_type": "Phải là một số.",
    "float_parsing": "Phải là một số.",
    "bool_parsing": "Phải là true hoặc false.",
    "date_type": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "date_parsing": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "date_from_datetime_parsing": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "date_from_datetime_inexact": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "model_attributes_type": "Nội dung phải là một đối tượng JSON.",
    "dict_type": "Nội dung phải là một đối tượng JSON.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "enum": "Giá trị không hợp lệ; chọn một trong: {expected}.",
    "literal_error": "Giá trị không hợp lệ; chọn một trong: {expected}.",
}

HTTP_MESSAGES = {
    "Cannot parse request body": "Không đọc được nội dung yêu cầu (JSON không hợp lệ).",
    "Too many requests.": "Quá nhiều yêu cầu, hãy thử lại sau.",
}


class LocalSwagger(DocsBase):
    """Render Swagger UI with assets served by this API instead of a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        """Return the docs page pointing at the local assets and the OpenAPI document."""

        def asset(name: str) -> str:
            return escape(reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": name}))

        settings = json.dumps(
            {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        ).replace("<", "\\u003c")
        html = f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{escape(api.title)}</title>
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
<link rel="icon" type="image/png" href="{asset("favicon.png")}">
</head>
<body>
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-ui-init.js")}"></script>
</body>
</html>
"""
        return HttpResponse(html)


api = NinjaAPI(
    title="cosodang API",
    version="1",
    description="API của cosodang. Xác thực: `Authorization: Bearer <mã truy cập>` "
    "(tạo bằng `manage.py create_api_token`).",
    urls_namespace="api",
    auth=TokenAuth(),
    docs=LocalSwagger(),
)
api.add_router("/orgs/", orgs_router)
api.add_router("/members/", members_router)
api.add_router("/evaluations/", evaluations_router)
api.add_router("/admissions/", admissions_router)
api.add_router("/workdays/", workdays_router)


@cache
def _read_asset(name: str) -> bytes:
    return (_NINJA_STATIC / name).read_bytes()


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    """Serve one Swagger UI file from the django-ninja package."""
    if name not in DOCS_ASSETS:
        raise Http404("Không tìm thấy")
    response = HttpResponse(_read_asset(name), content_type=DOCS_ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Return a service ValidationError as `[{loc: [field], msg}]`, fields named as in the API."""
    if not hasattr(exc, "error_dict"):
        return [{"loc": [NON_FIELD_ERRORS], "msg": m} for m in exc.messages]
    return [
        {"loc": [FIELD_ALIASES.get(field, field)], "msg": message}
        for field, messages in exc.message_dict.items()
        for message in messages
    ]


@api.exception_handler(ValidationError)
def service_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Answer a refused write with 422 and the Vietnamese messages of each field."""
    return api.create_response(request, {"detail": validation_details(exc)}, status=422)


def _input_message(error: dict[str, Any]) -> str:
    template = INPUT_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    ctx = {k: str(v).replace("' or '", "' hoặc '") for k, v in error.get("ctx", {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


@api.exception_handler(InputError)
def input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    """Answer malformed input (types, unknown fields) with 422 in the same shape."""
    detail = [
        {"loc": list(e.get("loc", [])), "msg": _input_message(e), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """Answer missing and forbidden alike."""
    return api.create_response(request, {"detail": "Không tìm thấy"}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Answer ninja's own HTTP errors (e.g. a body that is not JSON) in Vietnamese."""
    message = HTTP_MESSAGES.get(exc.message.split(" (")[0], exc.message)
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """Answer a missing, unknown or revoked token with 401."""
    response = api.create_response(
        request, {"detail": "Chưa xác thực: cần mã truy cập hợp lệ (Bearer)."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="cosodang"'
    return response
