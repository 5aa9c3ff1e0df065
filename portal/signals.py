"""What the portal tells the layers above it (outreach makes the collector's task)."""

from django.dispatch import Signal

# Sent in the action's transaction when a borrower asks for a person: `case`, `reason` (a short text).
borrower_needs_person = Signal()
