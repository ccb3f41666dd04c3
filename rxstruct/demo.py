"""``python -m rxstruct.demo``: partial objects growing live from a model server.

The demo starts a :class:`~rxstruct.testing.ScriptedLLMServer` on 127.0.0.1
that replays a real answer recorded from llama.cpp (Gemma 3 270M asked for
recipes, with its real token timing), and talks to it with the real ``openai``
SDK over HTTP, exactly as it would talk to a provider. One request feeds three
pipelines:

- a live view of the partial ``Recipes`` object, growing as tokens arrive;
- a card for each recipe, validated, the moment its closing brace arrives;
- the final object, validated strictly once the stream ends.

On a terminal the live view is redrawn in place; otherwise (CI, a pipe) one
line is printed each time a field of a recipe completes. No API key, no
network, no input needed. Options: ``--speed`` (default 2: twice as fast as
recorded) and ``--plain`` (log lines even on a terminal).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

import openai
import reactivex
from pydantic import BaseModel, Field
from reactivex import Observable
from reactivex import operators as ops

from . import operators as rxs
from .exceptions import RxStructError
from .sources import (
    StreamEnded,
    demo_recording_path,
    from_chat_completion,
    load_recording,
)
from .testing import ScriptedLLMServer

__all__ = ["Recipe", "Recipes", "main"]


class Recipe(BaseModel):
    """One recipe, as the JSON schema sent to the model describes it."""

    name: str
    prep_time_minutes: int = Field(ge=0)
    ingredients: list[str] = Field(min_length=3, max_length=6)
    instructions: str


class Recipes(BaseModel):
    """The whole answer."""

    recipes: list[Recipe] = Field(min_length=3, max_length=4)


PIPELINE = """\
  tokens = from_chat_completion(client, model="local", messages=..., ...)
  snapshots = tokens.pipe(rs.accumulate_json(), ops.share())  # one request
  live = snapshots.pipe(rs.to_partial(Recipes), rs.distinct_fields(), ...)
  cards = snapshots.pipe(rs.new_list_items(Recipe, path="recipes"))
  final = snapshots.pipe(rs.validate_final(Recipes))"""

_FIELDS = ("name", "prep_time_minutes", "ingredients", "instructions")


# --- rendering ------------------------------------------------------------------


class _Style:
    """ANSI styles on a colour terminal, nothing elsewhere; glyphs that encode."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self.color = color
        try:
            "✔▸·…".encode(out.encoding or "ascii")
            self.check, self.arrow, self.dot, self.more = "✔", "▸", "·", "…"
        except (UnicodeEncodeError, LookupError):
            self.check, self.arrow, self.dot, self.more = "ok", ">", "|", "..."

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def green(self, text: str) -> str:
        return self._sgr("32", text)


def _clip(text: str, width: int, more: str) -> str:
    return text if len(text) <= width else text[: max(0, width - len(more))] + more


def _brief(value: Any, more: str) -> str:
    """``repr`` of a field value, shortened so that one object fits a line."""
    if isinstance(value, str) and len(value) > 24:
        return repr(value[:21]) + more
    if isinstance(value, list) and len(value) > 2:
        shown = ", ".join(_brief(item, more) for item in value[:2])
        return f"[{shown}, {more} {len(value)} items]"
    return repr(value)


def _partial_repr(recipe: Any, more: str) -> str:
    """``PartialRecipe(name='Pork Sausage', prep_time_minutes=None, ...)``."""
    fields = ", ".join(
        f"{name}={_brief(getattr(recipe, name), more)}" for name in _FIELDS
    )
    return f"{type(recipe).__name__}({fields})"


class _View:
    """Where the three pipelines' results go; thread-safe."""

    def __init__(self, out: TextIO, style: _Style, width: int) -> None:
        self.out = out
        self.style = style
        self.width = width
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.cards = 0

    def handle(self, event: tuple[str, Any]) -> None:
        kind, value = event
        with self.lock:
            getattr(self, f"on_{kind}")(value)
            self.out.flush()

    def on_partial(self, partial: Any) -> None:
        pass

    def on_field(self, field: Any) -> None:
        pass

    def on_card(self, item: Any) -> None:
        recipe: Recipe = item.value
        self.cards = max(self.cards, item.index + 1)
        s = self.style
        indent = " " * 6
        self.print(
            f"  {s.green(s.check)} {s.bold(f'recipe {item.index + 1}: {recipe.name}')}"
            f"  {s.dim(f'({recipe.prep_time_minutes} min, validated as Recipe)')}"
        )
        for text in (", ".join(recipe.ingredients), recipe.instructions):
            for line in textwrap.wrap(
                text, self.width - 1, initial_indent=indent, subsequent_indent=indent
            ):
                self.print(line)

    def on_final(self, final: Recipes) -> None:
        self.print("")
        self.print(
            self.style.bold(
                f"final value, validated as Recipes ({len(final.recipes)} recipes):"
            )
        )
        self.print(final.model_dump_json(indent=2))

    def print(self, line: str) -> None:
        self.out.write(line + "\n")

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.2f}s"

    def close(self) -> None:
        pass


class _LogView(_View):
    """No terminal: one line per completed field, showing the partial object."""

    def __init__(self, out: TextIO, style: _Style, width: int) -> None:
        super().__init__(out, style, width)
        self.latest: Any = None

    def on_partial(self, partial: Any) -> None:
        self.latest = partial

    def on_field(self, field: Any) -> None:
        index = field.path[1]
        recipes = getattr(self.latest, "recipes", None) or []
        if index < len(recipes):
            shown = _partial_repr(recipes[index], self.style.more)
            self.print(f"  [{self.elapsed()}] recipes[{index}] = {shown}")


class _LiveView(_View):
    """A terminal: the recipe being written is redrawn in place below the cards."""

    def __init__(self, out: TextIO, style: _Style, width: int) -> None:
        super().__init__(out, style, width)
        self.drawn = 0
        self.out.write("\x1b[?25l")  # hide the cursor while redrawing

    def on_partial(self, partial: Any) -> None:
        s = self.style
        recipes = getattr(partial, "recipes", None) or []
        lines: list[str] = []
        for index in range(self.cards, len(recipes)):
            recipe = recipes[index]
            lines.append(
                f"  {s.arrow} {s.bold(f'recipe {index + 1}')} "
                + s.dim(f"(partial, {self.elapsed().strip()})")
            )
            for name in _FIELDS:
                value = getattr(recipe, name)
                if isinstance(value, list):
                    shown = ", ".join(str(v) for v in value if v)
                else:
                    shown = "" if value is None else str(value)
                # Wrapped, not clipped, so that the growing end stays visible.
                lines.extend(
                    textwrap.wrap(
                        f"{name:<18} {shown}",
                        self.width - 1,
                        initial_indent=" " * 6,
                        subsequent_indent=" " * 25,
                    )
                    or [""]
                )
        self.redraw(lines)

    def on_card(self, item: Any) -> None:
        self.redraw([])  # the next partial draws the next recipe
        super().on_card(item)

    def on_final(self, final: Recipes) -> None:
        self.redraw([])
        super().on_final(final)

    def redraw(self, lines: list[str]) -> None:
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
        for line in lines:
            self.out.write(line + "\n")
        self.drawn = len(lines)

    def close(self) -> None:
        self.out.write("\x1b[?25h")
        self.out.flush()


# --- the demo ---------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rxstruct.demo",
        description="Partial objects growing live from a local OpenAI-compatible "
        "server (no API key, no network).",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=2.0,
        help="replay speed relative to the recording (default: 2)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="print log lines even on a terminal",
    )
    arguments = parser.parse_args(argv)
    if not arguments.speed > 0:
        parser.error("--speed must be positive")
    return arguments


def _pipeline(
    client: openai.OpenAI,
    header: dict[str, Any],
    *,
    live: bool,
    on_finish: Any,
) -> Observable[tuple[str, Any]]:
    """One request, shared by the partial view, the cards and the final value."""
    tokens = from_chat_completion(
        client,
        model="local",
        messages=[{"role": "user", "content": header["prompt"]}],
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "recipes",
                "schema": header["schema"],
                "strict": True,
            },
        },
        stall_timeout=10.0,
        on_finish=on_finish,
    )
    snapshots = tokens.pipe(rxs.accumulate_json(), ops.share())
    partials = snapshots.pipe(rxs.to_partial(Recipes), rxs.distinct_fields())
    if live:  # a terminal redraws at most 30 times a second
        partials = partials.pipe(rxs.debounce(1 / 30))
    fields = snapshots.pipe(
        rxs.completed_fields(*(f"recipes[*].{name}" for name in _FIELDS))
    )
    cards = snapshots.pipe(rxs.new_list_items(Recipe, path="recipes"))
    final = snapshots.pipe(rxs.validate_final(Recipes))

    def tagged(kind: str, source: Observable[Any]) -> Observable[tuple[str, Any]]:
        return source.pipe(ops.map(lambda value: (kind, value)))

    # Subscribed in this order, so a field event finds its partial already seen.
    return reactivex.merge(
        tagged("partial", partials),
        tagged("field", fields),
        tagged("card", cards),
        tagged("final", final),
    )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the demo; return the process exit status."""
    arguments = _arguments(argv)
    out = out or sys.stdout
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")  # a non-UTF-8 console must not crash us
    terminal = out.isatty() and os.environ.get("TERM") != "dumb"
    live = terminal and not arguments.plain
    color = terminal and "NO_COLOR" not in os.environ
    style = _Style(out, color=color)
    width = shutil.get_terminal_size().columns if terminal else 100

    recording = load_recording(demo_recording_path())
    header = recording.header
    endings: list[StreamEnded] = []
    with ScriptedLLMServer.from_recording(recording, speed=arguments.speed) as server:
        print(style.bold("rxstruct demo: partial objects growing live"), file=out)
        print(
            f"  server  {server.base_url}  {style.dim('(ScriptedLLMServer')} "
            + style.dim(
                f"replaying {header.get('model', 'a recorded model').split(' (')[0]}"
                f" at {arguments.speed:g}x)"
            ),
            file=out,
        )
        print(
            '  client  openai.OpenAI(base_url=server.base_url, api_key="local")',
            file=out,
        )
        print(f"  prompt  {_clip(header['prompt'], width - 10, style.more)}", file=out)
        print(style.dim(PIPELINE), file=out)
        print("", file=out)

        view: _View = (_LiveView if live else _LogView)(out, style, width)
        started = time.monotonic()
        try:
            with openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=0
            ) as client:
                events = _pipeline(client, header, live=live, on_finish=endings.append)
                events.pipe(ops.do_action(view.handle)).run()
        except RxStructError as exc:
            view.close()
            print(f"\nthe stream failed: {type(exc).__name__}: {exc}", file=out)
            return 1
        except KeyboardInterrupt:
            view.close()
            print("\ninterrupted", file=out)
            return 130
        except BrokenPipeError:  # python -m rxstruct.demo | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
            return 0
        view.close()
        elapsed = time.monotonic() - started
        requests = server.requests

    ending = endings[-1] if endings else None
    print("", file=out)
    print(
        style.dim(
            f"finish_reason={ending.finish_reason if ending else None} "
            f"{style.dot} {ending.deltas if ending else 0} text deltas in "
            f"{elapsed:.2f} s {style.dot} {len(requests)} HTTP request"
            f"{'s' if len(requests) != 1 else ''}: "
            + ", ".join(f"{r.method} {r.path}" for r in requests)
        ),
        file=out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
