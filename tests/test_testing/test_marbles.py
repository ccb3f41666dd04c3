"""rxstruct.testing: token marbles, virtual-time runs, tables and marble drawing."""

from __future__ import annotations

import doctest
import string
from typing import Any

import pytest
import reactivex
from hypothesis import given
from hypothesis import strategies as st
from reactivex import Observable
from reactivex.testing import ReactiveTest, Recorded, TestScheduler

import rxstruct.testing
from rxstruct.exceptions import UsageError
from rxstruct.testing import (
    VirtualRun,
    assert_notifications,
    format_notifications,
    run_in_virtual_time,
    to_marbles,
    token_marbles,
)

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed

TITLE = {"a": '{"ti', "b": 'tle": "Hi', "c": '"}'}


class TestPublicSurface:
    def test_all_is_sorted_and_complete(self) -> None:
        """``__all__`` lists every public name of the package, sorted."""
        public = {
            name
            for name in vars(rxstruct.testing)
            if not name.startswith("_") and name != "annotations"
        }
        assert rxstruct.testing.__all__ == sorted(public)

    def test_names_report_the_public_module(self) -> None:
        """Re-exported names say they live in ``rxstruct.testing``."""
        for name in rxstruct.testing.__all__:
            assert getattr(rxstruct.testing, name).__module__ == "rxstruct.testing"

    def test_docstring_examples_run(self) -> None:
        """Every ``>>>`` example in the kit's docstrings passes."""
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        for test in doctest.DocTestFinder().find(rxstruct.testing):
            runner.run(test)
        result = runner.summarize(verbose=False)
        assert result.attempted > 0
        assert result.failed == 0

    @pytest.mark.parametrize("name", rxstruct.testing.__all__)
    def test_every_public_name_has_an_example(self, name: str) -> None:
        """Each public name's own docstring carries a ``>>>`` example."""
        assert ">>>" in (getattr(rxstruct.testing, name).__doc__ or "")


class TestTokenMarbles:
    def test_lookup_gives_chunks_at_their_ticks(self) -> None:
        """Marble names become their lookup text, at one tick per column."""
        run = run_in_virtual_time(token_marbles("-a-b--c|", TITLE))
        assert run.values() == ['{"ti', 'tle": "Hi', '"}']
        assert run.times() == [201.0, 203.0, 206.0]
        assert run.completed_at == 207.0

    def test_without_lookup_each_name_is_its_own_chunk(self) -> None:
        """With no lookup, a one-character marble is that character."""
        assert run_in_virtual_time(token_marbles("-x-y|")).values() == ["x", "y"]

    def test_names_missing_from_lookup_are_their_own_chunk(self) -> None:
        """A name absent from the lookup stays its own text, as in reactivex."""
        run = run_in_virtual_time(token_marbles("-a-z|", TITLE))
        assert run.values() == ['{"ti', "z"]

    def test_numeric_looking_names_stay_text(self) -> None:
        """``1``, ``01``, ``1e3`` and ``NaN`` are chunks, not numbers."""
        run = run_in_virtual_time(token_marbles("-1-01-1e3-NaN|"))
        assert run.values() == ["1", "01", "1e3", "NaN"]

    def test_lookup_keys_may_look_numeric(self) -> None:
        """A lookup key ``"1"`` matches the marble ``1``."""
        run = run_in_virtual_time(token_marbles("-1-2|", {"1": "[", "2": "]"}))
        assert run.values() == ["[", "]"]

    def test_long_name_is_one_chunk_and_takes_its_width(self) -> None:
        """``ab`` is one chunk and advances time by two ticks."""
        run = run_in_virtual_time(token_marbles("-ab-c|"))
        assert run.values() == ["ab", "c"]
        assert run.times() == [201.0, 204.0]

    def test_group_emits_together(self) -> None:
        """``(a,b)`` emits both chunks at the column of ``(``."""
        run = run_in_virtual_time(token_marbles("-(a,b)-c|", TITLE))
        assert run.times() == [201.0, 201.0, 207.0]
        assert run.values() == ['{"ti', 'tle": "Hi', '"}']

    def test_spaces_only_align(self) -> None:
        """Spaces do not take time."""
        spaced = run_in_virtual_time(token_marbles("  -a - b|"))
        assert spaced.messages == run_in_virtual_time(token_marbles("-a-b|")).messages

    def test_timespan_scales_ticks(self) -> None:
        """``timespan`` is the virtual time of one column."""
        run = run_in_virtual_time(token_marbles("-a-b|", timespan=0.5))
        assert run.times() == [200.5, 201.5]
        assert run.completed_at == 202.0

    def test_hash_sends_the_given_error(self) -> None:
        """``#`` sends the ``error`` exception."""
        boom = RuntimeError("boom")
        run = run_in_virtual_time(token_marbles("-a#", error=boom))
        assert run.values() == ["a"]
        assert run.error is boom

    def test_values_after_completion_are_refused(self) -> None:
        """A malformed diagram fails when the source is built."""
        with pytest.raises(ValueError, match="after"):
            token_marbles("-a|-b")

    def test_is_cold_and_replays_per_subscription(self) -> None:
        """Each subscription gets the whole diagram from its own start."""
        source = token_marbles("-a-b|", TITLE)
        run = run_in_virtual_time(reactivex.concat(source, source))
        assert run.values() == ['{"ti', 'tle": "Hi'] * 2
        assert run.times() == [201.0, 203.0, 205.0, 207.0]


class TestRunInVirtualTime:
    def test_builder_gets_the_test_scheduler(self) -> None:
        """A builder receives the run's TestScheduler and can make hot sources."""
        seen: list[TestScheduler] = []

        def build(scheduler: TestScheduler) -> Observable[str]:
            seen.append(scheduler)
            return scheduler.create_hot_observable(
                on_next(150, "early"), on_next(210, "a"), on_completed(220)
            )

        run = run_in_virtual_time(build)
        assert isinstance(seen[0], TestScheduler)
        assert run.messages == [on_next(210, "a"), on_completed(220)]

    def test_custom_times(self) -> None:
        """Subscription and disposal happen at the given times."""
        run = run_in_virtual_time(
            token_marbles("-a-b-c|"), created=1.0, subscribed=10.0, disposed=14.0
        )
        assert run.values() == ["a", "b"]
        assert run.times() == [11.0, 13.0]
        assert run.completed_at is None
        assert (run.subscribed, run.disposed) == (10.0, 14.0)
        assert run.marbles() == "-a-b"

    def test_never_completing_run(self) -> None:
        """A silent pipeline records nothing and has no end."""
        run: VirtualRun[Any] = run_in_virtual_time(reactivex.never())
        assert run.messages == []
        assert run.values() == []
        assert run.error is None
        assert run.completed_at is None

    def test_error_and_completion_accessors(self) -> None:
        """``error`` and ``completed_at`` read the terminal notification."""
        failed = run_in_virtual_time(token_marbles("-a#"))
        assert isinstance(failed.error, Exception)
        assert failed.completed_at is None
        assert run_in_virtual_time(token_marbles("--|")).error is None

    @pytest.mark.parametrize(
        ("created", "subscribed", "disposed"),
        [(0.0, 200.0, 1000.0), (300.0, 200.0, 1000.0), (100.0, 200.0, 200.0)],
    )
    def test_inconsistent_times_are_refused(
        self, created: float, subscribed: float, disposed: float
    ) -> None:
        """Times must satisfy ``0 < created <= subscribed < disposed``."""
        with pytest.raises(UsageError, match="virtual times"):
            run_in_virtual_time(
                reactivex.empty(),
                created=created,
                subscribed=subscribed,
                disposed=disposed,
            )


class TestFormatNotifications:
    def test_table_of_time_kind_value(self) -> None:
        """Each notification is one aligned row with the value's repr."""
        source = token_marbles("-a-#", TITLE, timespan=0.5, error=ValueError("bad"))
        table = format_notifications(
            [*run_in_virtual_time(source).messages, on_completed(210)]
        )
        assert table.splitlines() == [
            "time   kind          value",
            "200.5  on_next       '{\"ti'",
            "201.5  on_error      ValueError('bad')",
            "210    on_completed",
        ]

    def test_empty(self) -> None:
        """No notifications give just the header."""
        assert format_notifications([]) == "time  kind  value"


class TestAssertNotifications:
    def test_equal_sequences_pass(self) -> None:
        """Matching times and notifications raise nothing."""
        run = run_in_virtual_time(token_marbles("-a|", TITLE))
        assert_notifications(run.messages, [on_next(201, '{"ti'), on_completed(202)])

    def test_mismatch_shows_both_side_by_side(self) -> None:
        """A failure prints expected and actual in one table, marking bad rows."""
        actual = [on_next(201, "a"), on_next(205, "b"), on_completed(205)]
        expected = [on_next(201, "a"), on_next(204, "b"), on_completed(205)]
        with pytest.raises(AssertionError) as caught:
            assert_notifications(actual, expected)
        assert str(caught.value).splitlines() == [
            "notifications differ from row 1 on (expected 3, actual 3):",
            "      expected                   |  actual",
            "   #  time  kind          value  |  time  kind          value",
            "   0  201   on_next       'a'    |  201   on_next       'a'",
            "!  1  204   on_next       'b'    |  205   on_next       'b'",
            "   2  205   on_completed         |  205   on_completed",
        ]

    def test_missing_rows_are_shown_empty(self) -> None:
        """When one side is shorter, its missing rows are blank and marked."""
        with pytest.raises(AssertionError) as caught:
            assert_notifications(
                [on_next(201, "a")], [on_next(201, "a"), on_completed(202)]
            )
        lines = str(caught.value).splitlines()
        assert lines[0] == "notifications differ from row 1 on (expected 2, actual 1):"
        assert lines[-1].startswith("!  1")
        assert lines[-1].rstrip().endswith("|")

    def test_errors_must_match_in_type_and_message(self) -> None:
        """Errors of another type but the same message do not match."""
        assert_notifications(
            [on_error(201, ValueError("x"))], [on_error(201, ValueError("x"))]
        )
        with pytest.raises(AssertionError):
            assert_notifications(
                [on_error(201, RuntimeError("x"))], [on_error(201, ValueError("x"))]
            )

    def test_expected_predicates_judge_values(self) -> None:
        """``ReactiveTest.on_next(t, predicate)`` accepts any value it approves."""
        actual = [on_next(201, '{"title"')]
        assert_notifications(actual, [on_next(201, lambda v: v.startswith("{"))])
        with pytest.raises(AssertionError, match="<predicate is_empty>"):

            def is_empty(value: str) -> bool:
                return value == ""

            assert_notifications(actual, [on_next(201, is_empty)])


class TestToMarbles:
    def test_draws_values_gaps_and_completion(self) -> None:
        """Values sit at their columns, separated by ticks."""
        records = [on_next(201, "a"), on_next(204, "b"), on_completed(206)]
        assert to_marbles(records) == "-a--b-|"

    def test_same_time_notifications_form_a_comma_group(self) -> None:
        """Notifications at one time are drawn as ``(a,b,|)``."""
        records = [on_next(201, "a"), on_next(203, "b"), on_completed(203)]
        assert to_marbles(records) == "-a-(b,|)"

    def test_lookup_names_values(self) -> None:
        """Values are drawn by their lookup name."""
        records = [on_next(200, '{"ti'), on_next(202, '"}'), on_error(203, Exception())]
        assert to_marbles(records, lookup=TITLE) == "a-c#"

    def test_empty(self) -> None:
        """No notifications draw as an empty diagram."""
        assert to_marbles([]) == ""

    def test_timespan_and_subscribed(self) -> None:
        """Columns are ``timespan`` apart, counted from ``subscribed``."""
        records = [on_next(11, "a"), on_completed(12)]
        assert to_marbles(records, timespan=0.5, subscribed=10.0) == "--a-|"

    def test_adjacent_values_are_refused(self) -> None:
        """Values in adjacent columns would read back as one name."""
        with pytest.raises(UsageError, match="smaller timespan"):
            to_marbles([on_next(201, "a"), on_next(202, "b")])
        assert to_marbles([on_next(201, "a"), on_next(202, "b")], timespan=0.5) == (
            "--a-b"
        )

    def test_a_value_may_touch_a_completion(self) -> None:
        """``a|`` is unambiguous, so adjacent completion is allowed."""
        assert to_marbles([on_next(201, "a"), on_completed(202)]) == "-a|"

    def test_off_grid_times_are_refused(self) -> None:
        """A time between columns cannot be drawn."""
        with pytest.raises(UsageError, match="cannot draw"):
            to_marbles(run_in_virtual_time(token_marbles("-a", timespan=0.5)).messages)

    def test_times_before_subscription_are_refused(self) -> None:
        """A time before ``subscribed`` cannot be drawn."""
        with pytest.raises(UsageError, match="cannot draw"):
            to_marbles([on_next(199, "a")])

    def test_out_of_order_records_are_refused(self) -> None:
        """Records must be in time order."""
        with pytest.raises(UsageError, match="time order"):
            to_marbles([on_next(205, "a"), on_next(201, "b")])

    def test_undrawable_values_need_a_lookup(self) -> None:
        """A value whose text holds marble syntax must be named with lookup."""
        with pytest.raises(UsageError, match="lookup="):
            to_marbles([on_next(201, '{"a": 1, ')])
        with pytest.raises(UsageError, match="lookup="):
            to_marbles([on_next(201, "a-b")])

    def test_text_that_is_another_values_name_is_refused(self) -> None:
        """A value drawn as ``a`` while ``a`` names another chunk is ambiguous."""
        with pytest.raises(UsageError, match="stands for"):
            to_marbles([on_next(201, "a")], lookup=TITLE)

    def test_predicates_cannot_be_drawn(self) -> None:
        """Expected-value predicates have no marble."""
        with pytest.raises(UsageError, match="cannot draw"):
            to_marbles([on_next(201, lambda v: True)])


@st.composite
def timelines(draw: st.DrawFn) -> list[Recorded[str]]:
    """Drawable records: one-letter values, gaps of at least one tick, groups."""
    records: list[Recorded[str]] = []
    time = 200 + draw(st.integers(0, 3))
    for _ in range(draw(st.integers(0, 6))):
        group = draw(
            st.lists(st.sampled_from(string.ascii_letters), min_size=1, max_size=3)
        )
        records.extend(on_next(time, value) for value in group)
        width = 1 if len(group) == 1 else 2 * len(group) + 1
        time += width + draw(st.integers(1, 3))
    if draw(st.booleans()):
        # at the last values' time (joining their group), touching, or later
        ends = [records[-1].time, time - 1, time] if records else [time]
        records.append(on_completed(draw(st.sampled_from(ends))))
    return records


@given(timelines())
def test_to_marbles_reads_back_through_token_marbles(
    records: list[Recorded[str]],
) -> None:
    """Drawing records and parsing the drawing gives the same records."""
    diagram = to_marbles(records)
    assert run_in_virtual_time(token_marbles(diagram)).messages == records
