"""Alert texts rendered from jinja2 templates in ``notifications/templates`` (markdown)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment

from rendering import environment as template_environment


@cache
def environment() -> Environment:
    return template_environment("notifications")


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context).strip()
