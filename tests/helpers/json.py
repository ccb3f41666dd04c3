"""Checks shared by the decoder tests: exact equality and partial consistency."""

from __future__ import annotations

from typing import Any

from rxstruct.json import JsonSnapshot, PartialJsonDecoder


def same(a: Any, b: Any) -> bool:
    """Equal with the same types and key order (``1`` is not ``1.0`` or ``True``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def consistent(partial: Any, final: Any, *, open_string_ok: bool = True) -> bool:
    """``partial`` can grow into ``final``: it shows nothing that ``final`` lacks.

    Objects show a subset of the final keys, in the final order; lists a prefix
    of the final elements (the last one possibly partial); strings a prefix;
    numbers, booleans and null only their final value.
    """
    if type(partial) is not type(final):
        return False
    if isinstance(partial, dict):
        keys = list(final)
        positions = [keys.index(k) for k in partial if k in final]
        if len(positions) != len(partial) or positions != sorted(positions):
            return False
        return all(consistent(v, final[k]) for k, v in partial.items())
    if isinstance(partial, list):
        if len(partial) > len(final):
            return False
        return all(consistent(x, y) for x, y in zip(partial, final, strict=False))
    if isinstance(partial, str):
        return final.startswith(partial) if open_string_ok else partial == final
    return same(partial, final)


def feed_all(
    chunks: list[str], **options: Any
) -> tuple[list[JsonSnapshot], JsonSnapshot]:
    """Feed every chunk, close, and return the snapshots and the final one."""
    decoder = PartialJsonDecoder(**options)
    snapshots = [decoder.feed(chunk) for chunk in chunks]
    return snapshots, decoder.close()


def check_stream(chunks: list[str], expected: Any, **options: Any) -> None:
    """Assert the whole partial-semantics contract for one chunking."""
    snapshots, final = feed_all(chunks, **options)
    assert final.done
    assert same(final.value, expected), (final.value, expected)
    previous: Any = None
    seen_value = False
    closed: dict[tuple[Any, ...], Any] = {}
    for snapshot in [*snapshots, final]:
        if not snapshot.has_value:
            assert not seen_value, "a value once shown never disappears"
            assert snapshot.value is None
            continue
        value = snapshot.value
        assert consistent(value, expected), (snapshot.text, value, expected)
        if seen_value:
            assert consistent(previous, value), (previous, value)
            if previous != value:
                assert snapshot.changed, "a visible change is reported"
        for path in snapshot.changed:
            assert snapshot.get(path, _ABSENT) is not _ABSENT, path
        for path, closed_value in snapshot.completed:
            assert same(closed_value, _at(expected, path)), path
            assert snapshot.is_complete(path), path
            closed[path] = closed_value
        for path, closed_value in closed.items():
            # A closed sub-value is shared, never rebuilt or changed.
            if isinstance(closed_value, dict | list):
                assert snapshot.get(path) is closed_value, path
        previous = value
        seen_value = True


_ABSENT = object()


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value
