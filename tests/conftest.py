"""Shared test configuration: the --full option and hypothesis profiles."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="run the full oracle sweeps and long fuzzing (slow)")


def pytest_configure(config):
    full = config.getoption("--full") or os.environ.get("FASTTOPO_FULL") == "1"
    config._fasttopo_full = full
    settings.load_profile("full" if full else "ci")


def pytest_collection_modifyitems(config, items):
    if config._fasttopo_full:
        return
    skip = pytest.mark.skip(reason="slow sweep: run with --full")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def full(request):
    """True when the full sweeps were asked for (--full or FASTTOPO_FULL=1)."""
    return request.config._fasttopo_full


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
