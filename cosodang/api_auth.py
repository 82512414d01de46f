"""Bearer-token authentication for the HTTP API (tokens from `manage.py create_api_token`)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from cosodang.accounts.models import User
from cosodang.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    """Authenticate `Authorization: Bearer <token>` against stored API tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """Return the token's user (also set as `request.user`), or None to answer 401."""
        user = authenticate_token(token.strip())
        if user is not None:
            request.user = user
        return user
