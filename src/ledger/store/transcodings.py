"""JSON transcodings for the value types the domain's events carry."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)


class DateAsISO(Transcoding):
    """A calendar date (expiry, manufacture, due date) as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """The ISO form of the date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """The date from its ISO form."""
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """A domain enum member as its value, named by the enum's class name."""

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.type = enum_class
        self.members: dict[Any, enum.Enum] = enum_class._value2member_map_
        self.name = f"enum_{enum_class.__name__}"

    def encode(self, obj: enum.Enum) -> Any:
        """The member's value."""
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        """The member with that value."""
        # The value map is what ``Enum.__call__`` consults, without its call overhead.
        member: enum.Enum | None = self.members.get(data)
        return member if member is not None else self.type(data)


class LedgerTranscoder(JSONTranscoder):
    """The library's JSON format (tagged ``{"_type_", "_data_"}`` objects), encoded faster.

    The standard library's encoder calls back into Python for every tagged value; here the
    tags are put in place first and the result is serialised by orjson. Decoding is the
    library's, so events written either way read back the same.
    """

    def encode(self, obj: Any) -> bytes:
        """Encode an event's state as UTF-8 JSON."""
        try:
            if type(obj) is dict:
                # An event's state: most values are plain, so only the others take a call.
                tagged = obj.copy()
                for key, value in obj.items():
                    if type(value) not in _JSON_NATIVE and value is not None:
                        tagged[key] = self._tagged(value)
                return orjson.dumps(tagged)
            return orjson.dumps(self._tagged(obj))
        except (_BeyondOrjson, orjson.JSONEncodeError):
            # Non-finite floats and integers beyond 64 bits: orjson would write null or
            # refuse; the library's encoder keeps them, so it writes these states.
            return super().encode(obj)

    def register(self, transcoding: Transcoding) -> None:
        """Register ``transcoding``; keep its decoder at hand for the decoding loop."""
        super().register(transcoding)
        self._decoders[transcoding.name] = _direct_decoder(transcoding)

    @property
    def _decoders(self) -> dict[str, Callable[[Any], Any]]:
        try:
            return self.__decoders
        except AttributeError:
            self.__decoders: dict[str, Callable[[Any], Any]] = {}
            return self.__decoders

    def decode(self, data: bytes) -> Any:
        """Decode a stored state: orjson parses, then tagged values are restored."""
        try:
            return self._untagged(orjson.loads(data))
        except (orjson.JSONDecodeError, _BeyondOrjson, KeyError):
            # Non-finite floats (JSON extensions orjson rejects) and integers beyond 64 bits
            # (which orjson reads as floats): the library's decoder reads them exactly.
            return super().decode(data)

    def _untagged(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is dict:
            if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
                transcoding = self.names[obj["_type_"]]
                data = obj["_data_"]
                if type(data) in _CONTAINERS or type(data) is float:
                    data = self._untagged(data)
                return transcoding.decode(data)
            decoders = self._decoders
            for key, value in obj.items():
                kind = type(value)
                if kind is dict:
                    # Most tagged values hold a string (a time, a date, an id): decoded here
                    # without a recursive call, the hot path of every read model's rebuild.
                    data = value.get("_data_", _ABSENT) if len(value) == 2 else _ABSENT
                    if type(data) is str and "_type_" in value:
                        obj[key] = decoders[value["_type_"]](data)
                    else:
                        obj[key] = self._untagged(value)
                elif kind is list or kind is float:
                    obj[key] = self._untagged(value)
            return obj
        if kind is list:
            return [self._untagged(value) for value in obj]
        if kind is float:
            raise _BeyondOrjson
        return obj

    def canonical(self, obj: Any) -> bytes:
        """The same JSON with keys sorted: equal values give equal bytes (for hashing)."""
        try:
            return orjson.dumps(self._tagged(obj), option=orjson.OPT_SORT_KEYS)
        except (_BeyondOrjson, orjson.JSONEncodeError):
            return self._sorted_encoder.encode(obj).encode("utf8")

    @property
    def _sorted_encoder(self) -> json.JSONEncoder:
        return json.JSONEncoder(
            default=self._encode_obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True
        )

    def _tagged(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _JSON_NATIVE or obj is None:
            return obj
        if kind is float:
            if not math.isfinite(obj):
                raise _BeyondOrjson
            return obj
        if kind is dict:
            return {key: self._tagged(value) for key, value in obj.items()}
        if kind is list or kind is tuple:
            return [self._tagged(value) for value in obj]
        transcoding = self.types.get(kind)
        if transcoding is None:
            raise TranscodingNotRegisteredError(
                f"Object of type {kind} is not serializable. Please define and register "
                "a custom transcoding for this type."
            )
        return {"_type_": transcoding.name, "_data_": self._tagged(transcoding.encode(obj))}


def _direct_decoder(transcoding: Transcoding) -> Callable[[Any], Any]:
    """The transcoding's decoder, or the constructor it calls when that is all it does."""
    if isinstance(transcoding, EnumAsValue):
        members = transcoding.members
        fallback = transcoding.type

        def member(data: Any) -> Any:
            found = members.get(data)
            return found if found is not None else fallback(data)

        return member
    return _CONSTRUCTORS.get(type(transcoding), transcoding.decode)


_CONSTRUCTORS: dict[type[Transcoding], Callable[[Any], Any]] = {
    DatetimeAsISO: datetime.fromisoformat,
    DateAsISO: date.fromisoformat,
    UUIDAsHex: UUID,
    DecimalAsStr: Decimal,
}
_ABSENT = object()
_JSON_NATIVE = frozenset({str, int, bool})
_CONTAINERS = frozenset({dict, list})


class _BeyondOrjson(Exception):
    """A value orjson cannot write as the library would."""
