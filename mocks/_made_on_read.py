"""Records a mock keeps in a compact form and makes when they are read.

A big run's mocks hold hundreds of thousands of lines; kept as dicts, they are most of a run's
memory (issue 14). The tax engine keeps a document's lines as columns and the ERP a document's
lines likewise, and both hand out the same records as before, made on each read. This base gives
them one list-like face: indexing and slicing as a list's, equal to any sequence of the same
records, and a plain list when deep-copied or pickled, so that nothing downstream (the books, the
run folder, a restarted copy) can tell.
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, overload

__all__ = ["MadeOnRead"]


class MadeOnRead(Sequence[dict[str, Any]]):
    """A sequence of records, each made by ``made(k)`` when it is read."""

    __slots__ = ()

    @abstractmethod
    def made(self, k: int) -> dict[str, Any]:
        """Record ``k`` (from 0), made afresh."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self.made(k) for k in range(len(self))[index]]
        return self.made(range(len(self))[index])  # negative indexes and IndexError, as a list's

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self.made, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists: unhashable as they are

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self), memo)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))
