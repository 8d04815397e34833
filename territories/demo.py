"""Demo data of territories (filled by the demo helper)."""


def seed(stdout) -> None:
    """Add the demo territories (idempotent)."""
