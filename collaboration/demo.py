"""Demo assignments, threads and a workbook import for seed_demo (``assessments.slots.DEMO_DATA``)."""


def seed(stdout) -> None:
    pass
