"""The borrower's row lock, and who holds it: writers that touch a borrower's counters or evidence
chain (the compliance gate, inbound contacts) serialise on the borrower row.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

# The borrower whose row lock the current caller already holds inside its own (still open) transaction,
# set by the compliance gate and the other writers that take that lock (`borrower_lock_held`).
_lock_held: contextvars.ContextVar[int | None] = contextvars.ContextVar("evidence_borrower_lock_held", default=None)


@contextmanager
def borrower_lock_held(borrower_id: int) -> Iterator[None]:
    """Declare that the caller holds `borrower_id`'s row lock (select_for_update) in its open transaction.

    Inside this block append_link neither takes the lock again nor opens a savepoint of its own: the
    caller's transaction already makes the append atomic with the record it links, and an error still
    propagates out of the caller's transaction. Use it only between taking the lock and leaving the
    `transaction.atomic()` block that took it.
    """
    token = _lock_held.set(borrower_id)
    try:
        yield
    finally:
        _lock_held.reset(token)


def borrower_lock_is_held(borrower_id: int) -> bool:
    """Whether the caller declared (with `borrower_lock_held`) that it holds this borrower's lock in
    the transaction that is open now."""
    return _lock_held.get() == borrower_id and transaction.get_connection().in_atomic_block
