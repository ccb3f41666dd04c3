"""rxstruct.accumulate_json: text deltas in, decoder snapshots out.

Marble columns are ticks of 1.0 virtual second from the subscription at 200.
The decoder itself is tested in ``tests/test_json``; here: the operator's
contract (one snapshot per chunk plus the final one, errors through
``on_error``, options passed to each subscription's own decoder).
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import pytest
import reactivex as rx
from reactivex import operators as ops

import rxstruct as rs
from rxstruct import IncompleteJsonError, JsonStreamError, UsageError
from rxstruct.json import JsonSnapshot, PartialJsonDecoder
from rxstruct.testing import VirtualRun, run_in_virtual_time, token_marbles
from tests.helpers import docstring_marble


def decoded(
    diagram: str, chunks: dict[str, str], **options: Any
) -> VirtualRun[tuple[Any, bool]]:
    """Run the operator over a marble source; values as ``(value, done)``."""
    source = token_marbles(diagram, chunks)
    return run_in_virtual_time(
        source.pipe(rs.accumulate_json(**options), ops.map(lambda s: (s.value, s.done)))
    )


class TestDocstring:
    def test_marble_in_docstring_is_what_the_operator_does(self) -> None:
        """The diagram and legend of the façade docstring replay exactly."""
        source, operator, output, chunks, _ = docstring_marble(rs.accumulate_json, {})
        assert operator.strip("[] ") == "accumulate_json()"
        doc = rs.accumulate_json.__doc__ or ""
        values = {
            name: (ast.literal_eval(text), False)
            for name, text in re.findall(r"(\w)\.value = (\{.*?\})(?:\s|$)", doc)
        }
        assert "D.value = C.value, D.done = True" in doc
        values["D"] = (values["C"][0], True)
        assert sorted(chunks) == ["a", "b", "c"]
        assert sorted(values) == ["A", "B", "C", "D"]
        assert decoded(source, chunks).marbles(values) == output

    def test_same_marble_written_out(self) -> None:
        #          01234567890123456789012345
        diagram = "---a------b---------c-----|"
        chunks = {"a": '{"title": "Hel', "b": 'lo", "n": 4', "c": "2}"}
        run = decoded(diagram, chunks)
        assert run.values() == [
            ({"title": "Hel"}, False),
            ({"title": "Hello"}, False),
            ({"title": "Hello", "n": 42}, False),
            ({"title": "Hello", "n": 42}, True),
        ]
        assert run.times() == [203.0, 210.0, 220.0, 226.0]
        assert run.completed_at == 226.0


class TestOptions:
    def test_facade_defaults_are_the_decoders(self) -> None:
        """The spelled-out keywords match PartialJsonDecoder's, default for default."""
        facade = inspect.signature(rs.accumulate_json).parameters
        decoder = inspect.signature(PartialJsonDecoder).parameters
        assert list(facade) == list(decoder)
        for name, parameter in facade.items():
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
            assert parameter.default == decoder[name].default, name

    def test_expect_is_passed_to_the_decoder(self) -> None:
        """expect="object" skips '2 recipes:' and finds the fenced object."""
        chunks = {"a": "2 recipes:", "b": '\n```json {"n": ', "c": "2}```"}
        run = decoded("-a-b-c|", chunks, expect="object")
        assert run.values() == [
            (None, False),
            ({}, False),
            ({"n": 2}, False),
            ({"n": 2}, True),
        ]

    def test_without_expect_a_bare_scalar_waits_for_the_end(self) -> None:
        run = decoded("-a-b|", {"a": "4", "b": "2 "})
        assert run.values() == [(None, False), (None, False), (42, True)]

    def test_strict_sends_extra_data_to_on_error(self) -> None:
        """Text after the value is an error with its offset in strict mode."""
        run = decoded("-a-b-c|", {"a": '{"n": 1}', "b": "\n", "c": "```"}, strict=True)
        assert run.values() == [({"n": 1}, False), ({"n": 1}, False)]
        assert isinstance(run.error, JsonStreamError)
        assert run.error.offset == 9
        assert run.error.reason == "extra data after the JSON value"

    def test_lenient_keeps_the_trailing_text(self) -> None:
        snapshots: list[JsonSnapshot] = []
        rx.of('{"n": 1}', "\n```\nHope it helps.").pipe(rs.accumulate_json()).subscribe(
            snapshots.append
        )
        assert snapshots[-1].done
        assert snapshots[-1].trailing == "\n```\nHope it helps."

    def test_wrong_kind_reaches_on_error(self) -> None:
        run = decoded("-a|", {"a": '[{"n": 1}]'}, expect="object")
        assert run.values() == []
        assert isinstance(run.error, JsonStreamError)
        assert run.error.offset == 0
        assert "expected an object, found an array" in str(run.error)

    def test_limits_are_passed_to_the_decoder(self) -> None:
        run = decoded("-a|", {"a": '["abcdef"]'}, max_string_length=3)
        assert isinstance(run.error, rs.JsonLimitError)
        assert (run.error.limit, run.error.offset) == ("max_string_length", 5)

    def test_partial_strings_off(self) -> None:
        run = decoded("-a-b|", {"a": '["ab', "b": 'c"]'}, partial_strings=False)
        assert run.values() == [([], False), (["abc"], False), (["abc"], True)]

    @pytest.mark.parametrize(
        "options",
        [
            {"max_depth": 0},
            {"max_size": -1},
            {"max_string_length": 1.5},
            {"expect": "dict"},
            {"expect": []},
        ],
    )
    def test_bad_options_fail_when_the_pipeline_is_built(
        self, options: dict[str, Any]
    ) -> None:
        with pytest.raises(UsageError):
            rs.accumulate_json(**options)

    def test_each_subscription_has_its_own_decoder(self) -> None:
        """Two subscriptions to one pipeline do not share state."""
        pipeline = rx.of('{"a": ', "1}").pipe(rs.accumulate_json())
        first = pipeline.pipe(ops.map(lambda s: s.value), ops.to_list()).run()
        second = pipeline.pipe(ops.map(lambda s: s.value), ops.to_list()).run()
        assert first == second == [{}, {"a": 1}, {"a": 1}]


class TestErrors:
    def test_malformed_text_reaches_on_error(self) -> None:
        """Values before the error were delivered; later chunks are ignored."""
        run = decoded("-a-b-c|", {"a": '{"a": 1, ', "b": '"b": x}', "c": "ignored"})
        assert run.values() == [({"a": 1}, False)]
        assert isinstance(run.error, JsonStreamError)
        assert run.error.offset == 14

    def test_truncated_stream_reaches_on_error(self) -> None:
        """A source that completes inside the value ends in IncompleteJsonError."""
        run = decoded("-a-b|", {"a": '{"a": [1, ', "b": "2"})
        assert run.completed_at is None
        assert isinstance(run.error, IncompleteJsonError)
        assert run.error.open_path == ("a", 1)

    def test_source_errors_pass_through(self) -> None:
        run = decoded("-a-#", {"a": "[1"})
        assert run.values() == [([], False)]
        assert str(run.error) == "error"
