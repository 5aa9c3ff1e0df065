from celery import shared_task

from .lifecycle import records_purge


@shared_task(name="compliance.records_purge")
def records_purge_task() -> dict:
    """Pseudonymise the personal data of borrowers whose retention period has ended (compliance.lifecycle)."""
    erasures = records_purge()
    return {
        "erased": [e.borrower_id for e in erasures if e.status == "done"],
        "refused": [e.borrower_id for e in erasures if e.status == "refused"],
    }
