"""The rxstruct operators: the whole public contract in one file.

Each operator is a function returning ``Callable[[Observable[A]], Observable[B]]``
for use in ``Observable.pipe``. Bodies import their implementation lazily from
``rxstruct._operators.<operator>``, one module per operator. Marble legend:
``-`` one tick, ``|`` completion, ``#`` error, ``(a,b)`` values at one time,
letters are values; a test replays every ``.. marble::`` diagram.

The operators that read JSON snapshots (``to_partial``, ``validate_final``,
``new_list_items``, ``completed_fields``) fail with a
:class:`~rxstruct.UsageError` through ``on_error`` when they are fed anything
else (put ``accumulate_json()`` first), and when their source completes
without a single snapshot: ``accumulate_json`` always sends one, so that
happens to a view subscribed to a shared stream after it ended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, TypeAdapter
from reactivex import Observable, abc

# Imported at run time, not only for type checking, so that
# ``typing.get_type_hints`` resolves every signature of this module.
from ._operators.json_patch import PatchOperation
from ._partial import Partial
from .events import FieldCompleted, ListItem
from .json import JsonKind, JsonSnapshot, PartialJsonDecoder, PathPattern
from .json._decoder import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SIZE,
    DEFAULT_MAX_STRING_LENGTH,
)

__all__: list[str] = [
    "accumulate_json",
    "completed_fields",
    "debounce",
    "distinct_fields",
    "new_list_items",
    "to_json_patch",
    "to_partial",
    "validate_final",
]

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)

# --- JSON (accumulate_json) ---------------------------------------------------


def accumulate_json(
    *,
    partial_strings: bool = True,
    strict: bool = False,
    expect: JsonKind | Collection[JsonKind] | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_size: int = DEFAULT_MAX_SIZE,
    max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    r"""Decode a stream of text deltas into a stream of JSON snapshots.

    One :class:`~rxstruct.json.JsonSnapshot` per chunk, then one more with
    ``done=True`` when the source completes with a complete value. The work per
    chunk is proportional to the chunk, not to the text so far. Each
    subscription gets its own decoder (:class:`~rxstruct.PartialJsonDecoder`,
    which describes how prose and fences around the JSON are told apart).

    .. marble::
        :alt: accumulate_json

        ---a------b---------c-----|
        [    accumulate_json()    ]
        ---A------B---------C-----(D,|)

        a = '{"title": "Hel'    A.value = {'title': 'Hel'}
        b = 'lo", "n": 4'       B.value = {'title': 'Hello'}   (4 may go on: 42)
        c = '2}'                C.value = {'title': 'Hello', 'n': 42}
                                D.value = C.value, D.done = True

    Errors go to ``on_error``: :class:`~rxstruct.JsonStreamError` for malformed
    text (with offset, line, column and an excerpt),
    :class:`~rxstruct.JsonLimitError` past a limit, and
    :class:`~rxstruct.IncompleteJsonError` when the source completes inside the
    value or before it. Bad arguments raise :class:`~rxstruct.UsageError` at
    once.

    Args:
        partial_strings: Show strings while they are written (default); when
            False a string appears only once complete.
        strict: Accept exactly one JSON document, like ``json.loads``: no
            prose, fences, byte order mark or trailing text (each is a
            ``JsonStreamError`` at its offset). By default text before the
            value is skipped and text after it kept in ``snapshot.trailing``.
        expect: The kind(s) of top-level value wanted: ``"object"``,
            ``"array"``, ``"string"``, ``"number"``, ``"boolean"``, ``"null"``
            or a collection of them (``"object"`` for a pydantic model).
            Leading text that starts like another kind (``"2 recipes:"``,
            ``'"Sure!" Here is'``) is then prose; a bracket that is JSON of
            the wrong kind (``[{...}]`` for ``"object"``) is an error. None:
            any kind.
        max_depth: Maximum nesting of objects and arrays.
        max_size: Maximum number of characters in the whole stream.
        max_string_length: Maximum length of one string (key or value).

    Returns:
        An operator from ``Observable[str]`` to ``Observable[JsonSnapshot]``.

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> _ = rx.of('{"n": 4', '2}').pipe(rs.accumulate_json()).subscribe(
        ...     lambda s: print(s.value, s.done))
        {} False
        {'n': 42} False
        {'n': 42} True
        >>> text = rx.of("2 ideas:", '\n```json\n{"n": 2}', "\n```")
        >>> text.pipe(rs.accumulate_json(expect="object")).run().value
        {'n': 2}
    """
    from ._operators.accumulate_json import accumulate_json_

    return accumulate_json_(
        functools.partial(
            PartialJsonDecoder,
            partial_strings=partial_strings,
            strict=strict,
            expect=expect,
            max_depth=max_depth,
            max_size=max_size,
            max_string_length=max_string_length,
        )
    )


# --- partial objects (to_partial, distinct_fields, validate_final) -----------


@overload
def to_partial(
    model: type[_M],
    /,
    *,
    on_invalid: Literal["ignore", "error"] = "ignore",
) -> Callable[[Observable[JsonSnapshot]], Observable[Partial[_M]]]: ...


@overload
def to_partial(
    model: type[list[_M]],
    /,
    *,
    on_invalid: Literal["ignore", "error"] = "ignore",
) -> Callable[[Observable[JsonSnapshot]], Observable[list[Partial[_M]]]]: ...


@overload
def to_partial(
    model: type[dict[str, _M]],
    /,
    *,
    on_invalid: Literal["ignore", "error"] = "ignore",
) -> Callable[[Observable[JsonSnapshot]], Observable[dict[str, Partial[_M]]]]: ...


@overload
def to_partial(
    model: Any,
    /,
    *,
    on_invalid: Literal["ignore", "error"] = "ignore",
) -> Callable[[Observable[JsonSnapshot]], Observable[Any]]: ...


def to_partial(
    model: Any,
    /,
    *,
    on_invalid: Literal["ignore", "error"] = "ignore",
) -> Callable[[Observable[JsonSnapshot]], Observable[Any]]:
    """Turn JSON snapshots into partial instances of a model, one per snapshot.

    Every emission is an instance of ``rs.partial_model(model)`` (named
    ``Partial<Model>``), from the first to the last: the type never flips. A
    field is ``None`` until it can be trusted (a default shows once the object
    is complete without the field):

    - strings grow while written (escapes are decoded, never half shown);
    - numbers, bools, ``Literal``, enums, dates (anything but ``str``, lists,
      dicts and models) appear only when complete: ``age`` never shows the 3
      of 38; ``Annotated[str, rs.Atomic]`` does the same for a string;
    - lists show their finished elements plus the one being written; nested
      models, ``dict[str, Model]``, optionals and unions convert recursively.
      A discriminated union picks its arm once the tag is complete; a plain
      union of models once the keys seen fit only one arm (arms with the same
      keys: when complete, as pydantic's smart mode picks); a callable
      ``Discriminator`` when complete; an arm once chosen is kept.
      ``rs.HoldUntilPresent`` keeps an object out until a field exists.

    Constraints and validators never run on partial data, and a complete value
    of the wrong type (``"age": "abc"``) does not break the stream: the field
    stays ``None`` and :func:`validate_final` reports it. With
    ``on_invalid="error"`` the stream fails with
    :class:`~rxstruct.PartialValidationError` as soon as such a value (or an
    object missing a required field) is complete.

    The work per snapshot is proportional to the open path: a completed
    sub-object is converted once and the same instance appears in every later
    emission. Snapshots before the value starts emit nothing; the ``done``
    snapshot emits the final partial once more. :func:`~rxstruct.completed`
    tells which fields of an emission are final.

    .. marble::
        :alt: to_partial

        -a-----b-----c-----|
        [ to_partial(User) ]
        -A-----B-----C-----(C,|)

        The source is drawn as the text chunks fed to accumulate_json():
        a = '{"name": "Ad'       A = PartialUser(name='Ad', age=None)
        b = 'a", "age": 3'       B = PartialUser(name='Ada', age=None)
        c = '8}'                 C = PartialUser(name='Ada', age=38)
        C once more on completion: the done snapshot.

    Args:
        model: A pydantic model class; or a type such as ``list[Model]`` or
            ``dict[str, Model]`` (then a list / dict of partial instances is
            emitted).
        on_invalid: ``"ignore"`` (default) or ``"error"``, see above.

    Returns:
        An operator from ``Observable[JsonSnapshot]`` to
        ``Observable[Partial[Model]]``.

    Raises:
        UsageError: ``on_invalid`` is unknown or the type cannot be streamed
            (raised when the operator is built).

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> chunks = rx.of('{"name": "Ad', 'a", "age": 3', '8}')
        >>> _ = chunks.pipe(rs.accumulate_json(), rs.to_partial(User)).subscribe(print)
        name='Ad' age=None
        name='Ada' age=None
        name='Ada' age=38
        name='Ada' age=38
    """
    from ._operators.to_partial import to_partial_

    return to_partial_(model, on_invalid)


def distinct_fields(
    *paths: str | PathPattern,
) -> Callable[[Observable[_T]], Observable[_T]]:
    """Drop emissions that change nothing, or nothing at the given paths.

    Works on the output of :func:`to_partial` and on JSON snapshots, using the
    change information recorded while converting (it looks only at the paths
    that changed, never compares whole objects). With no paths any visible
    change lets an emission through: a value that appeared, a string that
    grew, an element that appeared. Chunks that only hold whitespace,
    punctuation, a key, part of a number or of a hidden ``Literal`` are
    dropped, and on partial objects so are a closing quote or bracket alone:
    they change nothing shown (:func:`completed_fields` reports them; on
    snapshots a completion does count). With paths, only changes at, below or
    above one of them count: ``"title"``, ``"items"``, ``"items[*].name"``
    (the pattern syntax of :class:`~rxstruct.PathPattern`; on partial objects
    with Python field names, on snapshots with JSON keys).

    The first emission always passes, and so does an emission after a gap (an
    upstream stage dropped some): put ``distinct_fields`` before ``debounce``.
    The emission that completes the whole value passes exactly once, even
    without a visible change: the chunk with the last bracket, or the ``done``
    snapshot if nothing complete passed before it; a later ``validate_final``
    still finds the complete value. So the last partial is not repeated for
    its closing quote, its closing brackets and ``done``. Items without change
    information pass unchanged.

    .. marble::
        :alt: distinct_fields

        -a----b----c----d----e----|
        [ distinct_fields("title") ]
        -A---------C---------E----|

        The source is drawn as the text chunks fed to accumulate_json() and
        to_partial(Post), a model of title, body and tags:
        a = '{"body": "x'        A = PartialPost(body='x')
        b = 'y", '               (the body grew: dropped)
        c = '"title": "T"'       C = PartialPost(body='xy', title='T')
        d = ', "tags": ["a"'     (the tags grew: dropped)
        e = ']}'                 E = PartialPost(body='xy', title='T', tags=['a'])
        E completes the value: it passes; the done snapshot's copy does not.

    Args:
        *paths: Path patterns; none means any change.

    Returns:
        An operator that emits a subsequence of its source.

    Raises:
        UsageError: A pattern is malformed (raised when the operator is built).

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> chunks = rx.of('{"name": "Ad', 'a", ', '"age": 3', '8', '}')
        >>> _ = chunks.pipe(
        ...     rs.accumulate_json(), rs.to_partial(User), rs.distinct_fields()
        ... ).subscribe(print)
        name='Ad' age=None
        name='Ada' age=None
        name='Ada' age=38
    """
    from ._operators.distinct_fields import distinct_fields_

    return distinct_fields_(*paths)


@overload
def validate_final(
    model: type[_T],
    /,
    *,
    context: Any = None,
    strict: bool | None = None,
) -> Callable[[Observable[Any]], Observable[_T]]: ...


@overload
def validate_final(
    model: Any,
    /,
    *,
    context: Any = None,
    strict: bool | None = None,
) -> Callable[[Observable[Any]], Observable[Any]]: ...


def validate_final(
    model: Any,
    /,
    *,
    context: Any = None,
    strict: bool | None = None,
) -> Callable[[Observable[Any]], Observable[Any]]:
    """Validate the complete JSON against the model, emit it, complete.

    Ignores every snapshot but the ``done`` one, then runs pydantic's full
    validation of the complete value with JSON semantics
    (``model_validate_json``: every constraint and validator, ``strict`` as
    given or as the model configures it) and emits the ``model`` instance.
    Accepts JSON snapshots or the output of :func:`to_partial` (which carries
    its snapshot).

    Validators can tell this final validation apart: the validation context
    is ``{"rxstruct_partial": False, **context}`` (``info.context``); a
    non-dict ``context`` is passed unchanged. Partial emissions never run
    validators at all.

    .. marble::
        :alt: validate_final

        -a-----b-----c-----|
        [ validate_final(User) ]
        -------------------(U,|)

        The source is drawn as the text chunks fed to accumulate_json():
        a = '{"name": "Ad'
        b = 'a", "age": 3'
        c = '8}'                 U = User(name='Ada', age=38)

    Errors (``on_error``): :class:`~rxstruct.IncompleteJsonError` when the
    stream ended inside the value (e.g. the model hit its token limit; from
    ``accumulate_json``, or raised here when the source completes without a
    complete value); :class:`~rxstruct.FinalValidationError` when validation
    fails, with ``.errors()``, ``.raw`` (the model's text) and
    ``.retry_messages()`` (chat messages that re-ask the model);
    :class:`~rxstruct.UsageError` when no snapshot arrived at all (subscribed
    to a shared stream after it ended: see the module docstring); upstream
    errors unchanged.

    Args:
        model: A pydantic model class, or any type pydantic can validate
            (``list[Model]``, a union...).
        context: Validation context for the model's validators.
        strict: Strict validation (None: the model's own setting).

    Returns:
        An operator emitting one validated value, then completing.

    Raises:
        UsageError: pydantic cannot validate ``model`` (raised when the
            operator is built).

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> chunks = rx.of('{"name": "Ad', 'a", "age": 3', '8}')
        >>> chunks.pipe(rs.accumulate_json(), rs.validate_final(User)).run()
        User(name='Ada', age=38)
    """
    from ._operators.validate_final import validate_final_

    return validate_final_(model, context, strict)


# --- lists and fields (new_list_items, completed_fields) ---------------------


@overload
def new_list_items(
    item_type: type[_T] | TypeAdapter[_T],
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["ignore", "error"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[_T]]]: ...


@overload
def new_list_items(
    item_type: Any,
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["ignore", "error"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[Any]]]: ...


def new_list_items(
    item_type: Any,
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["ignore", "error"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[Any]]]:
    """Emit each element of a list once, validated, as soon as it is complete.

    An element is emitted on the snapshot of the chunk that completes it: the
    one holding its closing ``}``, ``]`` or ``"``, its last letter for
    ``true``/``false``/``null``, or for a number the character after it
    (until then ``4`` may go on as ``42``). Not when the next element starts,
    not at the end of the stream. Each element is validated as ``item_type``
    (its validators run) and wrapped in a :class:`~rxstruct.ListItem` carrying
    its index and path. Items of one list come in order, each index once.

    ``path`` names the list in the pattern syntax of
    :class:`~rxstruct.PathPattern`: ``None`` (or ``""``) when the top-level
    value is the list, a field such as ``"recipes"`` or ``"menu.dishes"``, or a
    pattern with ``[*]`` that names many lists, such as
    ``"sections[*].paragraphs"``: then the items of every matching list are
    emitted, and :attr:`ListItem.indices <rxstruct.ListItem.indices>` holds the
    indices the wildcards matched (``"[*]"`` names the lists inside a
    top-level list of lists). A value at ``path`` that is not a list yields
    nothing.

    .. marble::
        :alt: new_list_items

        -a--b--c------|
        [ new_list_items(str) ]
        ----0--(1,2)--|

        The source is drawn as the text chunks fed to accumulate_json():
        a = '["ta'               0 = ListItem(index=0, value='taco', path=(0,))
        b = 'co", "pi'           1 = ListItem(index=1, value='pizza', path=(1,))
        c = 'zza", "soup"]'      2 = ListItem(index=2, value='soup', path=(2,))

    An element that fails validation sends an
    :class:`~rxstruct.ItemValidationError` (with ``.index``, ``.path`` and the
    pydantic ``.errors()``) to ``on_error`` and the stream ends; with
    ``on_invalid="ignore"`` it is dropped and the stream goes on (its index is
    then missing from the items). Values are validated in Python mode and, if
    rejected, once more as JSON text, so strict types accept what strict JSON
    would (an ISO datetime string, an enum value). Upstream errors, such as
    :class:`~rxstruct.IncompleteJsonError` for a truncated stream, pass
    through after the items that were already complete.

    The operator keeps no copy of the list; to feed partial objects, items and
    the final result from one request, share the snapshots with
    ``ops.share()`` (see the README).

    Args:
        item_type: The element type: a pydantic model, any type pydantic
            validates (``str``, ``int``, ``datetime``, an ``Enum``, a union),
            or a ``TypeAdapter``. Adapters are built once and cached.
        path: The list, or a pattern naming lists; ``None`` for the root.
        on_invalid: ``"error"`` (default) to end the stream with an
            :class:`~rxstruct.ItemValidationError`, ``"ignore"`` to drop the
            element (the words of ``to_partial``'s ``on_invalid``).

    Returns:
        An operator from ``Observable[JsonSnapshot]`` to
        ``Observable[ListItem[T]]``.

    Raises:
        UsageError: ``path`` is not a valid pattern, ``on_invalid`` is not
            ``"ignore"`` or ``"error"``, or pydantic cannot validate
            ``item_type`` (raised when the operator is built).

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> chunks = rx.of('{"menu": ["ta', 'co", "pi', 'zza", "soup"]}')
        >>> items = chunks.pipe(
        ...     rs.accumulate_json(), rs.new_list_items(str, path="menu")
        ... )
        >>> _ = items.subscribe(lambda item: print(item.index, item.value))
        0 taco
        1 pizza
        2 soup
    """
    from ._operators.new_list_items import new_list_items_

    return new_list_items_(item_type, path, on_invalid=on_invalid)


def completed_fields(
    *patterns: str | PathPattern,
) -> Callable[[Observable[JsonSnapshot]], Observable[FieldCompleted]]:
    """Emit a :class:`~rxstruct.FieldCompleted` once for each field that is final.

    The "done" signal per field, as a stream: a field is reported on the
    snapshot of the chunk that completes its value (its closing quote or
    bracket, or for a number the character after it), with its path and its
    JSON value, so a UI can for instance enable a button once ``"title"`` can
    no longer change. Each path is reported once.

    Without patterns every object member is reported, at any depth (also the
    fields of list elements, such as ``("recipes", 0, "name")``); list
    elements themselves and the top-level value are not (use
    :func:`new_list_items` for elements and ``JsonSnapshot.done`` for the
    whole). With patterns, in the syntax of :class:`~rxstruct.PathPattern`,
    exactly the values whose path matches one of them are reported, whatever
    they are: ``"title"``, ``"recipes[*].name"``, ``"tags[*]"`` (elements),
    ``""`` (the top-level value).

    .. marble::
        :alt: completed_fields

        -a---b----c-------|
        [ completed_fields() ]
        -----t----(g,n)---|

        The source is drawn as the text chunks fed to accumulate_json():
        a = '{"title": "Pas'         t = FieldCompleted(path=('title',), value='Pasta')
        b = 'ta", "tags": ["x"'      g = FieldCompleted(path=('tags',), value=['x'])
        c = '], "n": 42}'            n = FieldCompleted(path=('n',), value=42)

    Values are the decoded JSON, not validated, and shared with the
    snapshots: treat them as read-only. Errors and completion pass through.

    Args:
        *patterns: Paths or ``[*]`` patterns of the values to report; none
            means every object member.

    Returns:
        An operator from ``Observable[JsonSnapshot]`` to
        ``Observable[FieldCompleted]``.

    Raises:
        UsageError: A pattern is not valid (raised when the operator is built).

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> chunks = rx.of('{"title": "Pas', 'ta", "tags": ["x"', '], "n": 42}')
        >>> events = chunks.pipe(rs.accumulate_json(), rs.completed_fields())
        >>> _ = events.subscribe(lambda field: print(field.path, field.value))
        ('title',) Pasta
        ('tags',) ['x']
        ('n',) 42
    """
    from ._operators.completed_fields import completed_fields_

    return completed_fields_(*patterns)


# --- timing (debounce) ---------------------------------------------------------


def debounce(
    interval: float | timedelta,
    *,
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[_T]], Observable[_T]]:
    """Emit the first value at once, then the latest value at most once per interval.

    Rate limiting for UIs fed by token streams. Unlike reactivex's
    ``ops.debounce``, which stays silent while values keep coming, this emits
    the first value immediately and opens a window of ``interval``. Values
    arriving inside the window are held and only the latest is kept; when the
    window ends it is emitted and a new window opens. If nothing is held the
    window closes and the next value is again emitted at once. A value is never
    emitted twice and never after a newer one.

    On completion the held value is emitted immediately (at the same time, not
    after the window) and then the completion. On error the held value is
    emitted first, then the error, both at once: a UI keeps the latest text it
    was sent even when the stream breaks (the last value is never lost).

    .. marble::
        :alt: debounce

        -a-b-c-d-e-------f-g|
        [   debounce(5)      ]
        -a----c----e-----f--(g,|)

    Args:
        interval: Minimum time between two emissions, in seconds or as a
            ``timedelta``. Must be positive.
        scheduler: Scheduler for the window timers. Defaults to the scheduler
            given at subscription; else, subscribed inside a running asyncio
            loop, to that loop (every emission then happens on the loop's
            thread); else to ``TimeoutScheduler`` (timer threads). Under trio
            there is no default: the subscription fails with a
            :class:`~rxstruct.UsageError` asking for one.

    Returns:
        An operator for ``Observable.pipe`` that emits a subsequence of its
        source.

    Raises:
        UsageError: ``interval`` is not positive (raised when the operator is
            built, not at subscription).

    Example:
        >>> import reactivex
        >>> from reactivex import operators as ops
        >>> from rxstruct import operators as rxs
        >>> tokens = reactivex.of("{", '"a"', ": ", "1", "}")
        >>> tokens.pipe(rxs.debounce(0.1), ops.to_list()).run()
        ['{', '}']
    """
    from ._operators.debounce import debounce_

    return debounce_(interval, scheduler)


# --- JSON-Patch deltas (to_json_patch) ------------------------------------------------


def to_json_patch(
    *, string_append: bool = True
) -> Callable[[Observable[JsonSnapshot]], Observable[list[PatchOperation]]]:
    """Turn snapshots into JSON-Patch operations: send what changed, not everything.

    For each snapshot of :func:`accumulate_json`, emits the list of operations
    that brings a client holding the previous snapshot's value to this one's:
    applied in order to any starting document (``{}``, ``[]``), the lists
    rebuild every snapshot's ``value`` exactly (the first operation, when the
    value appears, is an ``add`` at the root ``""``). One list per snapshot,
    empty when nothing visible changed (a number still being read, text after
    the value), so the output lines up with the input; drop empty lists
    before sending them.

    Operations are RFC 6902 ``add`` (a new member, a new array element at the
    end, the root) plus one extension, ``append``: ``{"op": "append",
    "path": "/title", "value": "lo"}`` concatenates ``value`` to the string at
    ``path``, so a growing string costs its new characters, not its whole
    text again. With ``string_append=False`` the growing string is sent whole
    in an RFC 6902 ``replace`` instead, for clients that accept only the
    standard. :func:`~rxstruct.apply_patch` (Python) and the page of
    ``examples/web`` (JavaScript) apply both.

    The operations are derived from the decoder's change information (the
    open containers, their closed children and the open string) along the
    open path: the work per snapshot is O(depth) plus the size of what
    changed, never a diff of whole documents. A value that completes is sent
    once; only the part the client lacks is sent (the rest of a string, the
    members of an object it saw growing). Snapshots may be skipped (after
    ``debounce``): the next list then covers everything since the last one.

    .. marble::
        :alt: to_json_patch

        -a-----b------c--|
        [ to_json_patch() ]
        -x-----y------z--|

        The source is drawn as the text chunks fed to accumulate_json():
        a = '{"t": "He'     x = [add "" {"t": "He"}]
        b = 'llo", "n"'     y = [append /t "llo"]
        c = ': [1]}'        z = [add /n [1]]

    Args:
        string_append: Send a growing string as ``append`` operations of its
            new characters (default) or, when False, as RFC 6902 ``replace``
            operations of its whole text.

    Returns:
        An operator from ``Observable[JsonSnapshot]`` to
        ``Observable[list[PatchOperation]]``. Values in the operations are
        shared with the snapshots: treat them as read-only.

    Raises:
        UsageError: ``string_append`` is not a bool (raised when the operator
            is built); fed anything but snapshots, the stream ends with a
            ``UsageError`` saying to put ``accumulate_json()`` first.

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> chunks = rx.of('{"t": "He', 'llo", "n"', ": [1]}")
        >>> patches = chunks.pipe(rs.accumulate_json(), rs.to_json_patch())
        >>> _ = patches.subscribe(print)
        [{'op': 'add', 'path': '', 'value': {'t': 'He'}}]
        [{'op': 'append', 'path': '/t', 'value': 'llo'}]
        [{'op': 'add', 'path': '/n', 'value': [1]}]
        []
    """
    from ._operators.json_patch import to_json_patch_

    return to_json_patch_(string_append)
