"""Domain errors carry codes; the API gives each code its HTTP status in one table."""

from __future__ import annotations

import pytest

from omnistock.api import problems
from omnistock.domain import errors


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


@pytest.mark.parametrize("cls", _subclasses(errors.DomainError), ids=lambda c: c.__name__)
def test_every_code_has_its_status(cls: type[errors.DomainError]) -> None:
    assert cls.code in problems.STATUSES
    assert not hasattr(cls, "status")


@pytest.mark.parametrize(("exc", "status"), [
    (errors.InvalidInput("x"), 422), (errors.InvalidIdentifier("x"), 422),
    (errors.UnknownReference("x"), 422), (errors.NotFound("x"), 404),
    (errors.AlreadyExists("x"), 409), (errors.InsufficientStock("x"), 409),
    (errors.IdempotencyConflict("x"), 409), (errors.InvalidState("x"), 409),
    (errors.Forbidden("x"), 403), (problems.Unauthenticated("x"), 401),
    (problems.IdempotencyKeyReused("x"), 409), (problems.IdempotencyKeyInProgress("x"), 409),
    (errors.DomainError("x"), 422)])
def test_statuses_of_problems(exc: errors.DomainError, status: int) -> None:
    response = problems.from_domain(exc)
    assert response.status_code == status
    assert response.media_type == problems.PROBLEM_MEDIA_TYPE


def test_unknown_code_is_a_rule_violation() -> None:
    class Novel(errors.DomainError):
        code = "novel"

    assert problems.status_for(Novel("x")) == 422


def test_unauthenticated_names_the_scheme() -> None:
    response = problems.from_domain(problems.Unauthenticated("no key"))
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="omnistock"'
