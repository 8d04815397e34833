"""What the collaboration app shows on the assessment pages (``assessments.slots``): filled in by its views' helpers."""
