"""A demo campaign for seed_demo (``assessments.slots.DEMO_DATA``)."""


def seed(stdout) -> None:
    pass
