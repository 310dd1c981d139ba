"""revocable sessions: staff_sessions

A staff session is now a row on the server (issue 16, item 8): the cookie carries a token whose
SHA-256 hash is stored here, and signing out, a password change, deactivation and an
administrator's "Sign out everywhere" delete rows, so a copied cookie stops working at once.
Sessions started before this upgrade (their cookie holds "<user id>.<session_version>") no longer
load: everyone signs in once more after upgrading.

``users.session_version`` is left in place, unused. Dropping a column through
``batch_alter_table`` makes SQLite rebuild ``users`` (copy, DROP TABLE, rename), and with
foreign_keys=ON that DROP cascades to project_roles, password_resets and case_assignments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import feedback.db.base

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', feedback.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
        ['user_id'], ['users.id'], name=op.f('fk_staff_sessions_user_id_users'), ondelete='CASCADE'
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))

    op.drop_table('staff_sessions')
