import dataclasses

import pytest

from quiz.proofs import run_proof

_RESULTS = {}


def proof_controls(name):
    """Each proof runs once per test session, with its controls; its tests, the control tests and the
    view tests share the result."""
    if name not in _RESULTS:
        _RESULTS[name] = run_proof(name, controls=True)
    return _RESULTS[name]


def proof_result(name):
    """The proof as `quiz prove N` shows it (no control runs): the same run, its controls left out."""
    return dataclasses.replace(proof_controls(name), controls=[])


@pytest.fixture(scope="module")
def result(request):
    """The proof named by the test module's NAME."""
    return proof_result(request.module.NAME)


@pytest.fixture(scope="module")
def controlled(request):
    """The proof named by the test module's NAME, with its control runs."""
    return proof_controls(request.module.NAME)


@pytest.fixture(scope="session")
def run_once():
    """proof_result, for tests parametrized over proof names."""
    return proof_result


@pytest.fixture(scope="session")
def run_controls():
    """proof_controls, for tests parametrized over proof names."""
    return proof_controls
