"""What the plans app shows on the assessment pages and in the round API (``assessments.slots``)."""
