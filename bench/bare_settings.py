"""Settings of the floor server (bench.bare): the product's settings, no middleware, one URL."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
MIDDLEWARE: list[str] = []
