"""Replies rendered from jinja2 templates in ``handlers/templates`` (plain text, Chinese)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment

from rendering import environment as template_environment


@cache
def environment() -> Environment:
    return template_environment("handlers")


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values).strip()
