"""Domain errors carrying Vietnamese messages for users."""

from django.core.exceptions import ValidationError

__all__ = ["RuleViolation", "ValidationError"]


class RuleViolation(ValidationError):
    """A write refused because it breaks a named rule of the regulations."""

    def __init__(self, message: str, *, rule: str = "", field: str | None = None) -> None:
        self.rule = rule
        text = f"{message} ({rule})" if rule else message
        if field:
            super().__init__({field: [text]})
        else:
            super().__init__(text)
