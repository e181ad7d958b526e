import pytest

from quiz.proofs import run_proof

_RESULTS = {}


def proof_result(name):
    """Each proof runs once per test session; its tests and the view tests share the result."""
    if name not in _RESULTS:
        _RESULTS[name] = run_proof(name)
    return _RESULTS[name]


@pytest.fixture(scope="module")
def result(request):
    """The proof named by the test module's NAME."""
    return proof_result(request.module.NAME)


@pytest.fixture(scope="session")
def run_once():
    """proof_result, for tests parametrized over proof names."""
    return proof_result
