"""rxstruct.validate_final: full validation of the complete JSON, once."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

import pytest
import reactivex
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from reactivex import operators as ops

import rxstruct as rs
from tests.helpers import (
    check_late_view_error,
    load,
    published_views,
)


def final(model: Any, chunks: list[str], **options: Any) -> Any:
    """The value validate_final emits for ``chunks``; raises what it errors with."""
    out: list[Any] = []
    errors: list[Exception] = []
    completed: list[bool] = []
    reactivex.from_iterable(chunks).pipe(
        rs.accumulate_json(), rs.validate_final(model, **options)
    ).subscribe(out.append, errors.append, lambda: completed.append(True))
    if errors:
        raise errors[0]
    assert len(out) == 1
    assert completed == [True]
    return out[0]


class Role(enum.Enum):
    ADMIN = "admin"
    USER = "user"


class User(BaseModel):
    name: str
    age: int
    role: Role = Role.USER
    since: datetime | None = None


class TestValidation:
    def test_emits_the_model(self) -> None:
        """One instance of the original model, then completion."""
        user = final(User, list('{"name": "Ada", "age": 38}'))
        assert user == User(name="Ada", age=38)

    def test_strict_uses_json_semantics(self) -> None:
        """strict=True accepts what strict JSON allows (enums, dates from strings)."""
        text = (
            '{"name": "Ada", "age": 38, "role": "admin", '
            '"since": "2024-03-15T13:05:00Z"}'
        )
        user = final(User, [text], strict=True)
        assert user.role is Role.ADMIN
        assert user.since == datetime.fromisoformat("2024-03-15T13:05:00+00:00")

    def test_strict_rejects_coercion(self) -> None:
        """strict=True rejects "38" for an int; lax (the default) accepts it."""
        text = '{"name": "Ada", "age": "38"}'
        assert final(User, [text]).age == 38
        with pytest.raises(rs.FinalValidationError):
            final(User, [text], strict=True)

    def test_model_config_strict(self) -> None:
        """strict=None follows the model's own configuration."""

        class StrictUser(BaseModel):
            model_config = ConfigDict(strict=True)
            age: int
            role: Role

        with pytest.raises(rs.FinalValidationError):
            final(StrictUser, ['{"age": "38", "role": "admin"}'])
        assert final(StrictUser, ['{"age": 38, "role": "admin"}']).role is Role.ADMIN

    def test_type_forms(self) -> None:
        """Any type pydantic validates: list[Model], unions."""
        users = final(
            list[User], ['[{"name": "a", "age": 1}, {"name": "b", "age": 2}]']
        )
        assert [u.name for u in users] == ["a", "b"]
        assert final(int | str, ['"5"']) == "5"

    def test_prose_and_fences_are_ignored(self) -> None:
        """Text around the value does not reach pydantic."""
        chunks = ["Here you go:\n```json\n", '{"name": "A", "age": 1}', "\n```\nEnjoy"]
        assert final(User, chunks).name == "A"

    def test_after_to_partial(self) -> None:
        """validate_final also takes the output of to_partial."""
        out: list[Any] = []
        reactivex.of('{"name": "A', '", "age": 1}').pipe(
            rs.accumulate_json(), rs.to_partial(User), rs.validate_final(User)
        ).subscribe(out.append)
        assert out == [User(name="A", age=1)]

    def test_not_a_type(self) -> None:
        """A value pydantic cannot validate against is refused when built."""
        with pytest.raises(rs.UsageError):
            rs.validate_final(42)


class Audited(BaseModel):
    name: str = Field(max_length=10)
    tags: list[str] = Field(max_length=3)

    @field_validator("name")
    @classmethod
    def record(cls, value: str, info: ValidationInfo) -> str:
        CONTEXTS.append(info.context)
        return value.upper()

    @model_validator(mode="after")
    def no_admin(self) -> Audited:
        if self.name == "ADMIN":
            raise ValueError("admin is reserved")
        return self


CONTEXTS: list[Any] = []


class TestValidators:
    def setup_method(self) -> None:
        CONTEXTS.clear()

    def test_validators_run_once_at_the_end(self) -> None:
        """Partials never run validators; the final runs them once."""
        snapshots = reactivex.from_iterable(
            list('{"name": "ada", "tags": ["a"]}')
        ).pipe(rs.accumulate_json(), ops.share())
        partials: list[Any] = []
        finals: list[Any] = []
        snapshots.pipe(rs.to_partial(Audited)).subscribe(partials.append)
        assert CONTEXTS == []
        assert partials[-1].name == "ada"  # not upper-cased: no validator ran
        reactivex.from_iterable(list('{"name": "ada", "tags": ["a"]}')).pipe(
            rs.accumulate_json(), rs.validate_final(Audited)
        ).subscribe(finals.append)
        assert finals[0].name == "ADA"
        assert CONTEXTS == [{"rxstruct_partial": False}]

    def test_user_context_is_merged(self) -> None:
        """The user's context arrives with the rxstruct_partial flag."""
        final(Audited, ['{"name": "x", "tags": []}'], context={"tenant": 7})
        assert CONTEXTS == [{"rxstruct_partial": False, "tenant": 7}]

    def test_non_dict_context_is_passed_unchanged(self) -> None:
        """A context that is not a mapping is passed as is."""
        marker = object()
        final(Audited, ['{"name": "x", "tags": []}'], context=marker)
        assert CONTEXTS == [marker]

    def test_constraints_run_at_the_end(self) -> None:
        """Constraints that partials ignore fail the final validation."""
        with pytest.raises(rs.FinalValidationError) as info:
            final(
                Audited, ['{"name": "much too long a name", "tags": ["a","b","c","d"]}']
            )
        types = {error["type"] for error in info.value.errors()}
        assert types == {"string_too_long", "too_long"}

    def test_model_validator_failure(self) -> None:
        """A model_validator failure is a FinalValidationError too."""
        with pytest.raises(rs.FinalValidationError, match="admin is reserved"):
            final(Audited, ['{"name": "admin", "tags": []}'])


class TestFailures:
    def test_final_validation_error_has_what_a_retry_needs(self) -> None:
        """The error carries pydantic's errors, the raw text and retry messages."""
        raw = 'Sure:\n{"name": "Ada", "age": "old"}'
        with pytest.raises(rs.FinalValidationError) as info:
            final(User, [raw])
        error = info.value
        assert error.raw == raw
        assert error.model_name == "User"
        assert error.errors()[0]["loc"] == ("age",)
        messages = error.retry_messages()
        assert messages[0] == {"role": "assistant", "content": raw}
        assert messages[1]["role"] == "user"
        assert "age" in messages[1]["content"]

    def test_truncated_stream(self) -> None:
        """A stream that stops inside the value errors with IncompleteJsonError."""
        with pytest.raises(rs.IncompleteJsonError) as info:
            final(User, ['{"name": "Ada", "a'])
        assert info.value.open_path == ()

    @pytest.mark.parametrize("name", ["movies", "escapes"])
    def test_truncated_recordings(self, name: str) -> None:
        """Real streams cut by the token limit never validate silently."""

        class Movie(BaseModel):
            title: str
            year: int
            reason: str

        class Quote(BaseModel):
            text: str
            author: str

        class Quotes(BaseModel):
            quotes: list[Quote]

        model: Any = list[Movie] if name == "movies" else Quotes
        with pytest.raises(rs.IncompleteJsonError):
            final(model, load(name).deltas)

    def test_empty_stream(self) -> None:
        """No value at all is an IncompleteJsonError, never silence."""
        with pytest.raises(rs.IncompleteJsonError):
            final(User, [])

    def test_snapshots_without_done(self) -> None:
        """A source that completes without a done snapshot: complete -> validate."""
        decoder = rs.PartialJsonDecoder()
        complete = [decoder.feed('{"name": "A", "age": 1}')]
        out: list[Any] = []
        reactivex.from_iterable(complete).pipe(rs.validate_final(User)).subscribe(
            out.append
        )
        assert out == [User(name="A", age=1)]

    def test_incomplete_snapshots_without_done(self) -> None:
        """... and incomplete -> IncompleteJsonError raised by validate_final."""
        decoder = rs.PartialJsonDecoder()
        partial = [decoder.feed('{"name": "A", "age": 1, "role": "ad')]
        errors: list[Exception] = []
        reactivex.from_iterable(partial).pipe(rs.validate_final(User)).subscribe(
            on_error=errors.append
        )
        assert isinstance(errors[0], rs.IncompleteJsonError)
        assert errors[0].open_path == ("role",)

    def test_upstream_error_is_forwarded(self) -> None:
        """Other upstream errors reach the subscriber unchanged."""
        boom = RuntimeError("boom")
        errors: list[Exception] = []
        reactivex.throw(boom).pipe(rs.validate_final(User)).subscribe(
            on_error=errors.append
        )
        assert errors == [boom]

    def test_wrong_input(self) -> None:
        """Text instead of snapshots errors with a hint."""
        errors: list[Exception] = []
        reactivex.of("{}").pipe(rs.validate_final(User)).subscribe(
            on_error=errors.append
        )
        assert isinstance(errors[0], rs.UsageError)
        assert "accumulate_json" in str(errors[0])

    def test_literal_mismatch(self) -> None:
        """A Literal value outside the allowed set fails at the end."""

        class M(BaseModel):
            kind: Literal["a", "b"]

        with pytest.raises(rs.FinalValidationError):
            final(M, ['{"kind": "c"}'])


class TestLateSubscription:
    def test_a_view_subscribed_after_a_shared_stream_ended_says_so(self) -> None:
        """A late view of a ``share()``d stream gets a UsageError naming the late
        subscription, not "IncompleteJsonError: the stream ended before any JSON
        value" (the stream was fine)."""
        check_late_view_error(
            rs.validate_final(User), "validate_final", '{"name": "Ada", "age": 38}'
        )

    def test_views_subscribed_before_the_stream_starts_see_it(self) -> None:
        """The fix the message gives: publish, subscribe every view, connect."""
        first, second = published_views(
            rs.validate_final(User), '{"name": "Ada", "age": 38}'
        )
        assert first == second
        assert first == [User(name="Ada", age=38)]


class TestScalarRoots:
    """Issue 11 item 9: to_partial(X) | validate_final(X) for a scalar X."""

    @pytest.mark.parametrize(
        ("model", "chunks", "expected"),
        [
            (str, ['"hel', 'lo"'], "hello"),
            (int, ["4", "2"], 42),
            (Literal["a", "b"], ['"', 'b"'], "b"),
            (Any, ['"x', '"'], "x"),
            (Any, ["[1, ", "2]"], [1, 2]),
            (Role, ['"ad', 'min"'], Role.ADMIN),
            (int | None, ["nu", "ll"], None),
        ],
    )
    def test_after_to_partial(
        self, model: Any, chunks: list[str], expected: Any
    ) -> None:
        """The final value is validated, not refused with a UsageError."""
        out: list[Any] = []
        errors: list[Exception] = []
        reactivex.from_iterable(chunks).pipe(
            rs.accumulate_json(), rs.to_partial(model), rs.validate_final(model)
        ).subscribe(out.append, errors.append)
        assert errors == []
        assert out == [expected]

    def test_constraints_still_run(self) -> None:
        """The scalar final goes through pydantic with its constraints."""
        errors: list[Exception] = []
        model = Annotated[int, Field(gt=100)]
        reactivex.of("4", "2").pipe(
            rs.accumulate_json(), rs.to_partial(model), rs.validate_final(model)
        ).subscribe(on_error=errors.append)
        assert isinstance(errors[0], rs.FinalValidationError)

    def test_text_is_still_refused_for_a_model(self) -> None:
        """Raw text where a model's partials belong stays a UsageError."""
        errors: list[Exception] = []
        reactivex.of("{}").pipe(rs.validate_final(User)).subscribe(
            on_error=errors.append
        )
        assert isinstance(errors[0], rs.UsageError)
