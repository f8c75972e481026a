"""Named classes of objects (pure Python / pandas; no Qt).

Objects are identified by integer keys (a label id, a ``(frame, label)``
pair folded into one integer, a pixel index or a table row; see
:mod:`.targets`), so an assignment survives re-running the embedding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from ..render.colors import next_color

__all__ = ["ClassSet"]


class ClassSet:
    """Class names, their colours, and which object belongs to which class.

    Attributes
    ----------
    names : list of str
        Classes in creation order (the order of the categorical column).
    colors : dict of str to str
        Hex colour of every class.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.colors: dict[str, str] = {}
        self._of: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.colors

    def add(self, name: str, color: str | None = None) -> str:
        """Create a class; returns its (stripped) name.

        Raises
        ------
        ValueError
            For an empty name, a name in use or an invalid colour.
        """
        name = str(name).strip()
        if not name:
            raise ValueError("a class needs a name")
        if name in self.colors:
            raise ValueError(f"there is already a class {name!r}")
        color = next_color(self.colors.values()) if color is None else color
        try:
            color = to_hex(color)
        except ValueError as err:
            raise ValueError(f"invalid colour {color!r} for class {name!r}") from err
        self.names.append(name)
        self.colors[name] = color
        return name

    def remove(self, name: str) -> None:
        """Delete a class; its objects become unassigned."""
        self._check(name)
        self.names.remove(name)
        del self.colors[name]
        self._of = {k: v for k, v in self._of.items() if v != name}

    def rename(self, name: str, new: str) -> str:
        """Give a class another name; its objects and colour stay. Returns it.

        Raises
        ------
        ValueError
            For an unknown class, an empty name or one in use.
        """
        self._check(name)
        new = str(new).strip()
        if new == name:
            return new
        if not new:
            raise ValueError("a class needs a name")
        if new in self.colors:
            raise ValueError(f"there is already a class {new!r}")
        self.names[self.names.index(name)] = new
        self.colors = {(new if k == name else k): v for k, v in self.colors.items()}
        self._of = {k: (new if v == name else v) for k, v in self._of.items()}
        return new

    def set_color(self, name: str, color) -> None:
        """Change a class colour."""
        self._check(name)
        self.colors[name] = to_hex(color)

    def assign(self, keys, name: str | None) -> int:
        """Put objects into class ``name`` (None: unassign). Returns the count."""
        keys = np.asarray(keys, dtype=np.int64).ravel().tolist()
        if name is None:
            for k in keys:
                self._of.pop(k, None)
        else:
            self._check(name)
            self._of.update(dict.fromkeys(keys, name))
        return len(keys)

    def take_assignments(self) -> dict[int, str]:
        """Remove and return every assignment (key -> class name)."""
        out, self._of = self._of, {}
        return out

    def put_assignments(self, assignments: dict[int, str]) -> None:
        """Restore assignments (those of deleted classes are dropped)."""
        self._of = {k: v for k, v in assignments.items() if v in self.colors}

    def keys_of(self, name: str) -> np.ndarray:
        """Sorted keys of the objects in class ``name``."""
        self._check(name)
        return np.array(sorted(k for k, v in self._of.items() if v == name), np.int64)

    def assigned(self) -> tuple[np.ndarray, np.ndarray]:
        """All assignments as ``(keys, codes)``; code = index in :attr:`names`."""
        if not self._of:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        index = {n: i for i, n in enumerate(self.names)}
        keys = np.fromiter(self._of.keys(), np.int64, len(self._of))
        codes = np.fromiter((index[v] for v in self._of.values()), np.int64, len(keys))
        return keys, codes

    def column(self, keys) -> pd.Categorical:
        """Return the class of every key as a categorical (missing = unassigned)."""
        keys = np.asarray(keys, dtype=np.int64).ravel()
        values = pd.Series(keys).map(self._of)
        return pd.Categorical(values, categories=list(self.names))

    def _check(self, name: str) -> None:
        if name not in self.colors:
            raise ValueError(f"no class named {name!r}")
