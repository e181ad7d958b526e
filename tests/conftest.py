import os
import random
import tempfile
from datetime import datetime, timezone

import pytest

# Test modules load banks at import (collection) time, before any fixture: point QUIZ_HOME at a
# scratch folder first, so no test ever writes into the user's own home.
os.environ["QUIZ_HOME"] = tempfile.mkdtemp(prefix="quiz-tests-")

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _never_the_users_home(tmp_path_factory, monkeypatch):
    """Every test, even one that asks for no home, writes (bank caches, settings) into a temporary
    QUIZ_HOME, never the user's own."""
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path_factory.mktemp("quiz-home")))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh QUIZ_HOME for each test; fuzz made deterministic."""
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    random.seed(0)
    return tmp_path / "home"


@pytest.fixture
def now():
    return NOW


# Hypothesis: the same examples on every run, so CI is never red by chance; explore new
# ones with `pytest --hypothesis-profile=explore`.
from hypothesis import settings  # noqa: E402

settings.register_profile("quiz", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=2000)
settings.load_profile("quiz")
