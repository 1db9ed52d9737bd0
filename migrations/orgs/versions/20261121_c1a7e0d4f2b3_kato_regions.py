"""The 20 top-level KATO regions: 17 oblasts and the cities of Astana, Almaty and Shymkent

Revision ID: c1a7e0d4f2b3
Revises: b9cb62a2805b
Create Date: 2026-11-21 21:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a7e0d4f2b3"
down_revision: str | None = "b9cb62a2805b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (KATO code, kind, Russian, Kazakh, English) — names as the regions have carried them since June 2022.
REGIONS = [
    ("100000000", "oblast", "Абайская область", "Абай облысы", "Abai Region"),
    ("110000000", "oblast", "Акмолинская область", "Ақмола облысы", "Akmola Region"),
    ("150000000", "oblast", "Актюбинская область", "Ақтөбе облысы", "Aktobe Region"),
    ("190000000", "oblast", "Алматинская область", "Алматы облысы", "Almaty Region"),
    ("230000000", "oblast", "Атырауская область", "Атырау облысы", "Atyrau Region"),
    ("270000000", "oblast", "Западно-Казахстанская область", "Батыс Қазақстан облысы", "West Kazakhstan Region"),
    ("310000000", "oblast", "Жамбылская область", "Жамбыл облысы", "Jambyl Region"),
    ("330000000", "oblast", "Область Жетісу", "Жетісу облысы", "Jetisu Region"),
    ("350000000", "oblast", "Карагандинская область", "Қарағанды облысы", "Karaganda Region"),
    ("390000000", "oblast", "Костанайская область", "Қостанай облысы", "Kostanay Region"),
    ("430000000", "oblast", "Кызылординская область", "Қызылорда облысы", "Kyzylorda Region"),
    ("470000000", "oblast", "Мангистауская область", "Маңғыстау облысы", "Mangystau Region"),
    ("550000000", "oblast", "Павлодарская область", "Павлодар облысы", "Pavlodar Region"),
    ("590000000", "oblast", "Северо-Казахстанская область", "Солтүстік Қазақстан облысы", "North Kazakhstan Region"),
    ("610000000", "oblast", "Туркестанская область", "Түркістан облысы", "Turkistan Region"),
    ("620000000", "oblast", "Область Ұлытау", "Ұлытау облысы", "Ulytau Region"),
    ("630000000", "oblast", "Восточно-Казахстанская область", "Шығыс Қазақстан облысы", "East Kazakhstan Region"),
    ("710000000", "city", "город Астана", "Астана қаласы", "Astana"),
    ("750000000", "city", "город Алматы", "Алматы қаласы", "Almaty"),
    ("790000000", "city", "город Шымкент", "Шымкент қаласы", "Shymkent"),
]

region = sa.table(
    "region",
    sa.column("code", sa.String),
    sa.column("parent_code", sa.String),
    sa.column("kind", sa.String),
    sa.column("name_ru", sa.String),
    sa.column("name_kk", sa.String),
    sa.column("name_en", sa.String),
)


def upgrade() -> None:
    op.bulk_insert(
        region,
        [
            {"code": code, "parent_code": None, "kind": kind, "name_ru": ru, "name_kk": kk, "name_en": en}
            for code, kind, ru, kk, en in REGIONS
        ],
    )


def downgrade() -> None:
    op.execute(region.delete().where(region.c.code.in_([r[0] for r in REGIONS])))
