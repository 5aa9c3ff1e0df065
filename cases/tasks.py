from celery import shared_task

from .delinquency import refresh_delinquency


@shared_task(name="cases.refresh_delinquency")
def refresh_delinquency_task(loan_ids: list[int] | None = None, payment_ids: list[int] | None = None) -> dict:
    """The refresh (the whole book, or these loans). With `payment_ids`: the settling of payments whose
    in-request settling failed after their commit (cases.services.payment_settle), refresh included."""
    if payment_ids:
        from .models import Payment
        from .services import payment_settle

        for payment in Payment.objects.filter(pk__in=payment_ids).order_by("pk"):
            payment_settle(payment)
        return {"payments_settled": len(payment_ids)}
    result = refresh_delinquency(loan_ids=loan_ids)
    return {
        "loans_updated": result.loans_updated,
        "cases_opened": result.cases_opened,
        "cases_closed": result.cases_closed,
        "stage_changes": result.stage_changes,
    }
