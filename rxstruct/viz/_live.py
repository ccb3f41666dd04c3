"""A live view for notebooks: the partial object updating in place, and the items."""

from __future__ import annotations

import json
import pprint
import sys
import threading
from html import escape
from typing import IO, Any, Literal

from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable

from ..events import ListItem
from ..exceptions import UsageError
from ..json import JsonSnapshot

__all__ = ["LiveView", "live"]


def _pretty(value: Any) -> str:
    """A multi-line rendering of a partial object, a snapshot or any value."""
    if isinstance(value, JsonSnapshot):
        value = value.value
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return pprint.pformat(value, width=88)


def _item_text(item: Any) -> str:
    if isinstance(item, ListItem):
        value = item.value
        body = (
            json.dumps(value.model_dump(mode="json"), ensure_ascii=False)
            if isinstance(value, BaseModel)
            else repr(value)
        )
        return f"{item.index}: {body}"
    return repr(item)


def _kernel_display() -> Any:
    """IPython's ``display`` when running in a Jupyter kernel, else None."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display

    return display


class LiveView:
    """The latest partial object and the completed list items, shown live.

    In a Jupyter kernel, :meth:`show` displays the view once and every change
    updates that same output in place (an IPython display handle): no new
    output per token. Elsewhere (a script, a terminal, CI) nothing is
    displayed while the stream runs, and the final state is written to
    ``stream`` when it ends. The state is always readable: :attr:`partial`,
    :attr:`items`, :attr:`status`, :meth:`text`.

    Repainting on every token is wasteful: pipe the partials through
    ``rs.debounce`` (and ``rs.distinct_fields``) first.

    Args:
        title: A heading for the view.
        stream: Where the final state goes outside a notebook.
        echo: Without ``stream``: write the final state to ``sys.stdout``.

    Example:
        >>> import io
        >>> import reactivex as rx
        >>> out = io.StringIO()
        >>> view = LiveView(title="numbers", stream=out)
        >>> _ = view.observe(rx.of({"n": 1}, {"n": 12}), items=rx.of("a", "b"))
        >>> print(out.getvalue().strip())
        numbers (completed)
        {
          "n": 12
        }
        items (2):
          'a'
          'b'
    """

    def __init__(
        self,
        *,
        title: str | None = None,
        stream: IO[str] | None = None,
        echo: bool = False,
    ) -> None:
        self.title = title
        self.stream = stream
        self.echo = echo
        self.partial: Any = None
        """The latest partial value (None before the first)."""
        self.items: list[Any] = []
        """The list items received so far, in order."""
        self.status: Literal["waiting", "streaming", "completed", "error"] = "waiting"
        """Where the stream is."""
        self.error: Exception | None = None
        """The error that ended the stream, if any."""
        self.updates = 0
        """How many times the view changed."""
        self._lock = threading.RLock()
        self._handle: Any = None
        self._shown = False
        self._running = 0
        self._ended = threading.Event()

    # --- display ------------------------------------------------------------

    def show(self) -> bool:
        """Display the view (once) in the running Jupyter kernel.

        Returns:
            True if a kernel displays it; False outside a notebook.

        Example:
            >>> LiveView().show()  # not in a notebook
            False
        """
        with self._lock:
            if self._shown:
                return self._handle is not None
            self._shown = True
            display = _kernel_display()
            if display is not None:
                self._handle = display(self, display_id=True)
            return self._handle is not None

    def _changed(self) -> None:
        self.updates += 1
        if self._handle is not None:
            self._handle.update(self)

    def text(self) -> str:
        """The view as plain text.

        Example:
            >>> print(LiveView(title="t").text())
            t (waiting)
            null
        """
        with self._lock:
            head = f"{self.title} ({self.status})" if self.title else self.status
            lines = [head, _pretty(self.partial)]
            if self.error is not None:
                lines.append(f"error: {type(self.error).__name__}: {self.error}")
            if self.items:
                lines.append(f"items ({len(self.items)}):")
                lines += [f"  {_item_text(item)}" for item in self.items]
            return "\n".join(lines)

    def html(self) -> str:
        """The view as HTML: the partial object, then the items as a list.

        Example:
            >>> "<pre" in LiveView().html()
            True
        """
        with self._lock:
            title = escape(self.title or "live view")
            parts = [
                f"<div class='rxstruct-live'><b>{title}</b> "
                f"<i>{escape(self.status)}</i>",
                f"<pre style='margin:4px 0'>{escape(_pretty(self.partial))}</pre>",
            ]
            if self.error is not None:
                parts.append(
                    f"<pre style='color:#c00'>{escape(type(self.error).__name__)}: "
                    f"{escape(str(self.error))}</pre>"
                )
            if self.items:
                lis = "".join(
                    f"<li><code>{escape(_item_text(i))}</code></li>" for i in self.items
                )
                parts.append(
                    f"<div>items ({len(self.items)}):</div><ol start='0'>{lis}</ol>"
                )
            parts.append("</div>")
            return "".join(parts)

    def _repr_mimebundle_(self, **_: Any) -> dict[str, str]:
        """Jupyter's rich display: text/plain and text/html."""
        return {"text/plain": self.text(), "text/html": self.html()}

    # --- feeding --------------------------------------------------------------

    def set_partial(self, value: Any) -> None:
        """Show ``value`` as the current partial object.

        Example:
            >>> view = LiveView()
            >>> view.set_partial({"a": 1}); view.partial
            {'a': 1}
        """
        with self._lock:
            self.partial = value
            if self.status == "waiting":
                self.status = "streaming"
            self._changed()

    def add_item(self, item: Any) -> None:
        """Append a completed list item.

        Example:
            >>> view = LiveView()
            >>> view.add_item("soup"); view.items
            ['soup']
        """
        with self._lock:
            self.items.append(item)
            if self.status == "waiting":
                self.status = "streaming"
            self._changed()

    def _end(self, error: Exception | None) -> None:
        with self._lock:
            self._running -= 1
            if self._ended.is_set():
                return  # already ended by an error on the other stream
            if error is not None:
                self.error = error
                self.status = "error"
            elif self._running > 0:
                return
            else:
                self.status = "completed"
            self._changed()
            target = self.stream or (sys.stdout if self.echo else None)
            if self._handle is None and target is not None:
                target.write(self.text() + "\n")
            self._ended.set()

    def observe(
        self,
        partials: Observable[Any] | None = None,
        *,
        items: Observable[Any] | None = None,
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        """Subscribe the view to a stream of partials and/or one of list items.

        Displays the view first (in a kernel). The view ends when every given
        stream has ended, or at the first error.

        Args:
            partials: Partial objects (or snapshots); each replaces the last.
            items: List items, appended as they arrive.
            scheduler: Passed to ``subscribe``.

        Returns:
            The subscription (dispose it to stop).

        Raises:
            UsageError: Neither ``partials`` nor ``items`` was given.

        Example:
            >>> import reactivex as rx
            >>> view = LiveView()
            >>> _ = view.observe(items=rx.of(1, 2))
            >>> view.items, view.status
            ([1, 2], 'completed')
        """
        if partials is None and items is None:
            raise UsageError("give partials, items or both to observe")
        self.show()
        feeds = ((partials, self.set_partial), (items, self.add_item))
        sources = [(source, on_next) for source, on_next in feeds if source is not None]
        with self._lock:
            self._running += len(sources)
            self._ended.clear()
        subscription = CompositeDisposable()
        for source, on_next in sources:
            subscription.add(
                source.subscribe(
                    on_next,
                    lambda error: self._end(error),
                    lambda: self._end(None),
                    scheduler=scheduler,
                )
            )
        return subscription

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the observed streams have ended (real time).

        Returns:
            True if they ended, False on timeout.

        Example:
            >>> import reactivex as rx
            >>> view = LiveView()
            >>> _ = view.observe(rx.of(1))
            >>> view.wait(1)
            True
        """
        return self._ended.wait(timeout)


def live(
    partials: Observable[Any] | None = None,
    *,
    items: Observable[Any] | None = None,
    title: str | None = None,
    scheduler: abc.SchedulerBase | None = None,
    echo: bool = True,
) -> LiveView:
    """Show partial objects and list items live; see :class:`LiveView`.

    In a notebook cell this displays one output that updates in place while
    the stream runs. Outside a notebook the final state is printed when the
    streams end (unless ``echo=False``).

    Args:
        partials: Partial objects (or snapshots); each replaces the last.
        items: List items, appended as they arrive.
        title: A heading for the view.
        scheduler: Passed to ``subscribe`` (e.g. a ``TestScheduler``).
        echo: Outside a notebook: print the final state.

    Returns:
        The view, subscribed.

    Example:
        >>> import reactivex as rx
        >>> view = live(rx.of({"title": "Le"}, {"title": "Leek"}), title="dish")
        dish (completed)
        {
          "title": "Leek"
        }
    """
    view = LiveView(title=title, echo=echo)
    view.observe(partials, items=items, scheduler=scheduler)
    return view
