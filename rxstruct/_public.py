"""Give public names their public home, as httpx's ``__init__`` does.

A class or function defined in a private module (``rxstruct.json._paths``) but
imported from a public one (``rxstruct.json``) gets that public module as its
``__module__``, so reprs, tracebacks and docs show the path users import.

Every module starts with ``from __future__ import annotations``, so a class's
annotations are strings that ``typing.get_type_hints`` evaluates in the module
named by ``__module__``. The public module does not hold those names (``Any``,
``Sequence``...), so each moved class first gets its own annotations resolved
where it was defined. Pydantic models are left as they are: pydantic resolved
their fields when the class was built. (No pydantic import here: the JSON
package, which knows nothing of pydantic, publishes through this module too.)
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from types import FunctionType
from typing import Any

__all__ = ["publish"]


def publish(namespace: dict[str, Any], names: Iterable[str]) -> None:
    """Set ``__module__`` of the named classes and functions to their public home.

    The home is ``namespace["__name__"]``. Only names defined in a private
    module (a dotted path with a part starting with ``_``) move; names from a
    public module keep it (``rxstruct.events.ListItem`` stays there when
    ``rxstruct`` re-exports it).

    Args:
        namespace: The public module's ``globals()``.
        names: The names to publish, normally its ``__all__``.

    Example:
        >>> import rxstruct.json
        >>> rxstruct.json.PathPattern.__module__
        'rxstruct.json'
    """
    home = namespace["__name__"]
    for name in names:
        value = namespace[name]
        if not isinstance(value, (type, FunctionType)):
            continue  # aliases, constants and marker instances have no home
        if not any(part.startswith("_") for part in value.__module__.split(".")):
            continue
        if isinstance(value, type) and not hasattr(value, "__pydantic_fields__"):
            own = value.__dict__.get("__annotations__")
            if own:
                hints = typing.get_type_hints(value, include_extras=True)
                value.__annotations__ = {key: hints[key] for key in own}
        value.__module__ = home
