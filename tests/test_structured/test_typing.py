"""The structured call's types, checked by mypy --strict from a user's side."""

from __future__ import annotations

import textwrap

import pytest
from mypy import api

USER_CODE = """
from typing import Any, assert_type

import openai
from pydantic import BaseModel
from reactivex import Observable

import rxstruct as rs


class Idea(BaseModel):
    title: str


client = openai.OpenAI(api_key="k")
aclient = openai.AsyncOpenAI(api_key="k")
messages: list[Any] = [{"role": "user", "content": "Ideas"}]

one = rs.stream(client, response_model=Idea, messages=messages, model="m")
assert_type(one, rs.StructuredStream[Idea, rs.Partial[Idea]])
assert_type(one.get_final_response(), Idea)
assert_type(one.result(), Idea)
assert_type(one.partials, Observable[rs.Partial[Idea]])
assert_type(one.final, Observable[Idea])
for partial in one:
    assert_type(partial, rs.Partial[Idea])

many = rs.stream(client, response_model=list[Idea], messages=messages, model="m")
assert_type(many.get_final_response(), list[Idea])
for partials in many:
    assert_type(partials, list[rs.Partial[Idea]])


async def main() -> None:
    later = rs.stream(aclient, response_model=Idea, messages=messages, model="m")
    assert_type(await later.get_final_response(), Idea)
    assert_type(await later, Idea)
    async for partial in later:
        assert_type(partial, rs.Partial[Idea])
"""

TYPO = """
import openai
from pydantic import BaseModel

import rxstruct as rs


class Idea(BaseModel):
    title: str


client = openai.OpenAI(api_key="k")
rs.stream(client, response_model=Idea, mesages=[], model="m")
"""


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy --strict run over both user files (the cache of make typecheck)."""
    folder = tmp_path_factory.mktemp("typing")
    (folder / "user_code.py").write_text(textwrap.dedent(USER_CODE))
    (folder / "typo.py").write_text(textwrap.dedent(TYPO))
    out, err, _ = api.run(
        ["--strict", str(folder / "user_code.py"), str(folder / "typo.py")]
    )
    return out + err


def test_the_types_a_user_sees(mypy_output: str) -> None:
    """get_final_response() is the model; partials are Partial[Model] (or a list)."""
    assert "user_code.py" not in mypy_output, mypy_output


def test_a_misspelt_parameter_fails_type_checking(mypy_output: str) -> None:
    """mesages= is an error for mypy, not a surprise at run time."""
    assert 'typo.py:13: error: No overload variant of "stream"' in mypy_output
