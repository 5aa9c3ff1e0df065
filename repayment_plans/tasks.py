from celery import shared_task

from cases.models import Payment

from .tracking import on_payment_recorded, promises_and_plans_check


@shared_task(name="repayment_plans.promises_and_plans_check")
def promises_and_plans_check_task() -> dict:
    result = promises_and_plans_check()
    return {
        "promises_broken": len(result.promises_broken),
        "promises_partly_kept": len(result.promises_partly_kept),
        "plans_broken": len(result.plans_broken),
        "plans_completed": len(result.plans_completed),
    }


@shared_task(name="repayment_plans.on_payment_recorded")
def on_payment_recorded_task(payment_id: int) -> None:
    """For callers that prefer to track a payment after their commit (`delay_on_commit(payment.pk)`)."""

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        on_payment_recorded(payment)
