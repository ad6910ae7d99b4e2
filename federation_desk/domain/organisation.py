"""Federation, Primary Care Networks, member practices and their sites (practice premises and hubs)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation_desk.domain.base import Base, EntityMixin, enum_column


class CqcRating(enum.Enum):
    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires improvement"
    INADEQUATE = "inadequate"
    NOT_RATED = "not yet rated"

    @property
    def label(self) -> str:
        return self.value[:1].upper() + self.value[1:]


class SiteKind(enum.Enum):
    PRACTICE = "practice premises"
    HUB = "hub"

    @property
    def label(self) -> str:
        return "Practice premises" if self is SiteKind.PRACTICE else "Hub"


class Federation(EntityMixin, Base):
    __tablename__ = "federation"
    __audit_label__ = "federation"

    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    companies_house_number: Mapped[str | None] = mapped_column(String(8))
    cqc_provider_id: Mapped[str | None] = mapped_column(String(14))
    vat_number: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(200))
    logo_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))

    pcns: Mapped[list[Pcn]] = relationship(back_populates="federation")


class Pcn(EntityMixin, Base):
    __tablename__ = "pcn"
    __audit_label__ = "PCN"

    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id", ondelete="CASCADE"), index=True)

    federation: Mapped[Federation] = relationship(back_populates="pcns")
    practices: Mapped[list[Practice]] = relationship(back_populates="pcn")


class Practice(EntityMixin, Base):
    __tablename__ = "practice"
    __audit_label__ = "practice"
    __practice_scope__ = "id"

    ods_code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    pcn_id: Mapped[int | None] = mapped_column(ForeignKey("pcn.id", ondelete="SET NULL"), index=True)
    list_size: Mapped[int | None] = mapped_column(Integer)
    adjusted_population: Mapped[int | None] = mapped_column(Integer)
    cqc_location_id: Mapped[str | None] = mapped_column(String(14))
    cqc_rating: Mapped[CqcRating | None] = mapped_column(enum_column(CqcRating))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    joined_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    pcn: Mapped[Pcn | None] = relationship(back_populates="practices")
    sites: Mapped[list[Site]] = relationship(back_populates="practice")


class Site(EntityMixin, Base):
    __tablename__ = "site"
    __audit_label__ = "site"
    __practice_scope__ = "practice_id"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind))
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    pcn_id: Mapped[int | None] = mapped_column(ForeignKey("pcn.id", ondelete="SET NULL"), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(8))
    opening_hours: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    practice: Mapped[Practice | None] = relationship(back_populates="sites")
