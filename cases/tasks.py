from celery import shared_task

from .delinquency import refresh_delinquency


@shared_task(name="cases.refresh_delinquency")
def refresh_delinquency_task(loan_ids: list[int] | None = None) -> dict:
    result = refresh_delinquency(loan_ids=loan_ids)
    return {
        "loans_updated": result.loans_updated,
        "cases_opened": result.cases_opened,
        "cases_closed": result.cases_closed,
        "stage_changes": result.stage_changes,
    }
