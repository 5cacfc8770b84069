"""Tables of the recipes domain: BOM versions and their lines, substitution rules, and what
each production's BOM said it would use (so its variance is kept).

A BOM version is never edited: a new import adds the next version from a date, and a
document uses the version in force when it was made (ERPNext's submitted-BOM rule).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.common import utcnow
from core.storage import MONEY, QTY, Base, Item


class Bom(Base):
    __tablename__ = "boms"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))

    product: Mapped[Item] = relationship()
    lines: Mapped[list[BomLine]] = relationship(order_by="BomLine.id")


class BomLine(Base):
    __tablename__ = "bom_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    bom_id: Mapped[int] = mapped_column(ForeignKey("boms.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    scrap_pct: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))

    component: Mapped[Item] = relationship()


class SubstituteRule(Base):
    __tablename__ = "substitute_rules"
    __table_args__ = (UniqueConstraint("component_id", "substitute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    ratio: Mapped[Decimal] = mapped_column(QTY)
    priority: Mapped[int] = mapped_column(Integer)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)

    substitute: Mapped[Item] = relationship(foreign_keys=[substitute_id])


class ProductionUse(Base):
    """What a production's BOM (after substitutes) said each item would use."""

    __tablename__ = "production_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    bom_id: Mapped[int] = mapped_column(ForeignKey("boms.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    theoretical_qty: Mapped[Decimal] = mapped_column(QTY)
