"""rate limit buckets: rate_limit_hits

The login and token-guessing limits are now kept in the database (issue 16, item 2), so they
hold across gunicorn workers and machines: one row per recorded failure, keyed by the bucket's
kind and an HMAC of its key (no e-mail or IP address is stored). See feedback/db/ratelimits.py.
The table starts empty: the counts each worker kept in memory before the upgrade are forgotten,
as they were at every restart.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-11 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_limit_hits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_hits'))
    )
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_hits_at'), ['at'], unique=False)
        batch_op.create_index('ix_rate_limit_hits_kind_key_hash_at', ['kind', 'key_hash', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_hits_kind_key_hash_at')
        batch_op.drop_index(batch_op.f('ix_rate_limit_hits_at'))

    op.drop_table('rate_limit_hits')
