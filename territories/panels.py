"""What territories shows on the assessment pages (filled by the helpers)."""
