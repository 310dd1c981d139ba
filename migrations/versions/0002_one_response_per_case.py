"""one live response per case; instruments.access

A case answered twice would count twice in every rate and table, so the database now refuses a
second live response for a case. Databases that already hold such duplicates are not guessed
about: the upgrade stops and lists them, and the evaluator deletes the extra responses (staff
area, the response's page, "Delete response") before upgrading again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 07:36:34.971177
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from feedback.db.migrate import MigrationRefused

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = 'case_id IS NOT NULL AND deleted_at IS NULL'
#: How many duplicated cases the error lists before "and N more".
SHOWN = 20


def _refuse_duplicates() -> None:
    rows = op.get_bind().execute(sa.text(
        "SELECT r.case_id, c.token, i.slug, COUNT(*) AS n, MIN(r.id), MAX(r.id)"
        " FROM responses r JOIN cases c ON c.id = r.case_id JOIN instruments i ON i.id = r.instrument_id"
        f" WHERE r.{LIVE.replace(' AND ', ' AND r.')}"
        " GROUP BY r.case_id, c.token, i.slug HAVING COUNT(*) > 1 ORDER BY i.slug, r.case_id"
    )).all()
    if not rows:
        return
    lines = [
        f"  {slug}: case {case_id} has {n} responses (ids {low} to {high})"
        for case_id, _token, slug, n, low, high in rows[:SHOWN]
    ]
    if len(rows) > SHOWN:
        lines.append(f"  and {len(rows) - SHOWN} more")
    raise MigrationRefused(
        f"{len(rows)} case(s) have more than one response, so every rate would count them twice:\n"
        + "\n".join(lines)
        + "\nNothing was changed. Keep one response per case (delete the others in the staff area:"
        " the response's page, 'Delete response'), then run 'feedback db upgrade' again."
    )


def upgrade() -> None:
    _refuse_duplicates()
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access', sa.String(length=20), nullable=True))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(
            'uq_responses_live_case', ['case_id'], unique=True,
            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('uq_responses_live_case')

    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.drop_column('access')
