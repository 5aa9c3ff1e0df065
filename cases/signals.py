"""Signals by which the apps above cases react to what happens to loans and cases, without cases
importing them. Both are sent inside the writer's transaction; receivers run in INSTALLED_APPS order
and must be safe to run again.

`payment_recorded`: after the allocation and the loan's refresh (repayment_plans credits promises and
plans before outreach cancels obsolete reminders). `payments_recorded`: the same for a bulk upload's set.
`open_cases_refreshed`: after a delinquency refresh re-staged and closed cases, with the open cases it
touched (outreach rescores them: the score reads promises and conversations).
`charge_free_periods`: asked by the charges' accrual (cases.charges) for days on which a loan accrues no
late fee or penalty because of something the apps above hold (repayment_plans: an active plan).
"""

from django.dispatch import Signal

# Sent with `payment=<Payment>`.
payment_recorded = Signal()

# Sent once by a bulk upload (cases.services.payments_bulk_record) with `payments=<list[Payment]>`, in the
# order they were allocated, instead of `payment_recorded` per payment: receivers handle the set at once.
payments_recorded = Signal()

# Sent with `open_cases=<QuerySet[Case]>` and `today=<date>`.
open_cases_refreshed = Signal()

# Sent with `loan_ids=<list[int]>`; each receiver answers {loan_id: [(first day, last day or None)]}, the
# days (inclusive) on which those loans accrue no charges.
charge_free_periods = Signal()
