"""The shop's profile: which industry preset it was set up with and what that preset chose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.storage import Base


class ShopProfile(Base):
    """One row (id 1), written by ``jxc init --preset``."""

    __tablename__ = "shop_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    preset: Mapped[str] = mapped_column(String(32))
    # {"hidden_commands": [...], "alert_rules": [...], "schedules": {...}, "categories": {...}}
    choices: Mapped[dict[str, Any]] = mapped_column()
    applied_at: Mapped[datetime] = mapped_column()
    applied_by: Mapped[str] = mapped_column(String(64))
