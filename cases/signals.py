"""Signals by which the apps above cases react to what happens to a loan, without cases importing them.

`payment_recorded` is sent inside the payment's transaction, after the allocation and the loan's
refresh; receivers run in INSTALLED_APPS order (repayment_plans credits promises and plans before
outreach cancels obsolete reminders) and must be safe to run again.
"""

from django.dispatch import Signal

# Sent with `payment=<Payment>`.
payment_recorded = Signal()
