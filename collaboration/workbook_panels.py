"""The round page section about the offline workbook (assessments.slots)."""
