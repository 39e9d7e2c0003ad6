"""Frozen records: plain immutable data, as `@dataclass(frozen=True)` makes
it, for the classes every command builds before it reads a row (the policy
model, expressions, clocks).

A dataclass writes its methods as source text and compiles them when its
module is imported: six functions a frozen class, 0.5 ms each class here,
and `lead advance` imported a dozen of them, a fifth of what Baton adds to
its stack's floor (benchmarks/cli_latency.py). A `Record` subclass gets the
same behaviour from the shared methods below, with nothing compiled:
construction by position or keyword with defaults, read-only fields,
equality and hashing by value (only with the same class), a repr naming
the fields, and `vars()`. Type checkers treat a subclass as a frozen
dataclass (`dataclass_transform`), so its constructor is checked the same.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, dataclass_transform


@dataclass_transform(frozen_default=True)
class Record:
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name, kind in inspect.get_annotations(cls).items()
               if not str(kind).startswith(("ClassVar", "typing.ClassVar"))]
        cls._fields = (*cls._fields, *(name for name in own if name not in cls._fields))
        cls._defaults = {**cls._defaults, **{name: cls.__dict__[name] for name in own if name in cls.__dict__}}
        missing_default = False
        for name in cls._fields:
            if name in cls._defaults:
                missing_default = True
            elif missing_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields, name = self._fields, type(self).__name__
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} arguments but {len(args)} were given")
        values = dict(zip(fields, args))
        for key, value in kwargs.items():
            if key not in fields:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{name}() got multiple values for argument {key!r}")
            values[key] = value
        put = object.__setattr__
        defaults = self._defaults
        for field in fields:
            if field in values:
                put(self, field, values[field])
            elif field in defaults:
                put(self, field, defaults[field])
            else:
                raise TypeError(f"{name}() missing required argument: {field!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, field) for field in self._fields])

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError  # not imported before: no command needs the module

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record) and other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{field}={getattr(self, field)!r}" for field in self._fields)
        return f"{type(self).__qualname__}({shown})"
