"""The rxstruct operators: the whole public contract in one file.

Each operator is a function returning ``Callable[[Observable[A]], Observable[B]]``
for use in ``Observable.pipe``. Bodies import their implementation lazily from
``rxstruct._operators``. Marble legend: ``-`` one tick, ``|`` completion, ``#``
error, letters are values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import TypeAdapter
from reactivex import Observable, abc

if TYPE_CHECKING:  # names for the signatures only: the public ones live in rxstruct
    from ._operators.fields import FieldCompleted
    from ._operators.lists import ListItem
    from .json import JsonSnapshot, PathPattern

__all__: list[str] = [
    "accumulate_json",
    "completed_fields",
    "debounce",
    "new_list_items",
]

_T = TypeVar("_T")

# --- JSON (accumulate_json) ---------------------------------------------------


def accumulate_json(
    **decoder_options: Any,
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    """Decode a stream of text deltas into a stream of JSON snapshots.

    One :class:`~rxstruct.json.JsonSnapshot` per chunk, then one more with
    ``done=True`` when the source completes with a complete value. The work per
    chunk is proportional to the chunk, not to the text so far. Each
    subscription gets its own decoder.

    .. code-block:: text

        ---a------b---------c-----|
        [     accumulate_json()    ]
        ---A------B---------C-----(D|)

        a = '{"title": "Hel'    A.value = {'title': 'Hel'}
        b = 'lo", "n": 4'       B.value = {'title': 'Hello'}   (4 may go on: 42)
        c = '2}'                C.value = {'title': 'Hello', 'n': 42}
                                D.value = C.value, D.done = True

    Errors go to ``on_error``: :class:`~rxstruct.JsonStreamError` for malformed
    text (with offset, line, column and an excerpt),
    :class:`~rxstruct.JsonLimitError` past a limit, and
    :class:`~rxstruct.IncompleteJsonError` when the source completes inside the
    value.

    Args:
        **decoder_options: Options of :class:`~rxstruct.json.PartialJsonDecoder`:
            ``partial_strings``, ``allow_prose``, ``max_depth``, ``max_size``,
            ``max_string_length``.

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
    """
    from ._operators.json import accumulate_json_

    return accumulate_json_(**decoder_options)


# --- partial objects (to_partial, distinct_fields, validate_final) -----------

# --- lists and fields (new_list_items, completed_fields) ---------------------


@overload
def new_list_items(
    item_type: type[_T],
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["error", "skip"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[_T]]]: ...


@overload
def new_list_items(
    item_type: TypeAdapter[_T],
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["error", "skip"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[_T]]]: ...


@overload
def new_list_items(
    item_type: Any,
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["error", "skip"] = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[Any]]]: ...


def new_list_items(
    item_type: Any,
    /,
    path: str | PathPattern | None = None,
    *,
    on_invalid: Literal["error", "skip"] = "error",
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
    ``on_invalid="skip"`` it is dropped and the stream goes on (its index is
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
            :class:`~rxstruct.ItemValidationError`, ``"skip"`` to drop the
            element.

    Returns:
        An operator from ``Observable[JsonSnapshot]`` to
        ``Observable[ListItem[T]]``.

    Raises:
        UsageError: ``path`` is not a valid pattern, ``on_invalid`` is not
            ``"error"`` or ``"skip"``, or pydantic cannot validate
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
    from ._operators.lists import new_list_items_

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
    from ._operators.fields import completed_fields_

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
            given at subscription, then to ``TimeoutScheduler``.

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
    from ._operators.timing import debounce_

    return debounce_(interval, scheduler)
