import pytest

from quiz.proofs import run_proof


@pytest.fixture(scope="module")
def result(request):
    """The proof named by the test module's NAME, run once per module."""
    return run_proof(request.module.NAME)
