"""The demo: realistic (fake) people and the whole flow on a temporary workspace."""

from leadbridge.demo.flow import run_demo
from leadbridge.demo.people import generate_people

__all__ = ["run_demo", "generate_people"]
