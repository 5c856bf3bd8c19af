# Copyright 2026 asynet_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""ROS 2 message types as Cyclone DDS ``IdlStruct`` classes, built from a rosbags typestore.

rmw_cyclonedds names a ROS type ``pkg/msg/Name`` ``pkg::msg::dds_::Name_`` on the wire and a topic
``/a/b`` ``rt/a/b``; the payload is plain XCDR1 (``00 01 00 00`` header), which only *final*
structs produce (``@appendable``/``@mutable`` force XCDR2, which ROS refuses). :func:`idl_type`
turns the field definitions of any type in a typestore (``ts.fielddefs``) into such a final struct,
nested types included, so that ``to_idl(ts, msg).serialize()`` equals ``ts.serialize_cdr(msg,
name)`` byte for byte. The transport itself writes rosbags' CDR bytes directly (see
:mod:`asynet_ros.dds.transport`); the classes here name the DDS topic type and serve the slower
typed ``IdlStruct`` path.

Field mapping (rosidl ``.msg`` -> IDL -> cyclonedds-python):

=================  ======================  ===========================================
``.msg``           cyclonedds-python       Python value (``to_idl``)
=================  ======================  ===========================================
bool               ``bool``                bool
byte / char        ``types.byte/uint8``    int (rosidl maps ``char`` to ``uint8``) [1]_
intN / uintN       ``types.intN/uintN``    int
float32/float64    ``types.float32/64``    float
string / <=N       ``str/bounded_str[N]``  str
T[N]               ``types.array[T, N]``   list (``bytes`` for byte-sized elements)
T[] / T[<=N]       ``types.sequence[T]``   list
pkg/Type           nested ``IdlStruct``    instance
=================  ======================  ===========================================

.. [1] rosbags holds a scalar ``byte`` as int8 (-128..127, its ROS 1 meaning) and byte arrays as
   uint8; :func:`to_idl` and :func:`from_idl` convert scalars to and from the octet (0..255).
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import re
import threading
from typing import Any
import weakref

from cyclonedds.idl import IdlStruct
from cyclonedds.idl import types as idl
from cyclonedds.idl._main import IdlMeta
import numpy as np
from rosbags.interfaces import Nodetype

from asynet_ros.dds.errors import TopicNameError, TypeMappingError

__all__ = [
    'dds_topic_to_ros',
    'dds_type_name',
    'from_idl',
    'idl_type',
    'ros_topic_to_dds',
    'to_idl',
]

#: rosidl base type -> (cyclonedds-python annotation, factory of the default value).
_BASE: dict[str, tuple[Any, Callable[[], Any]]] = {
    'bool': (bool, bool),
    'byte': (idl.byte, int),
    'char': (idl.uint8, int),
    'int8': (idl.int8, int),
    'uint8': (idl.uint8, int),
    'int16': (idl.int16, int),
    'uint16': (idl.uint16, int),
    'int32': (idl.int32, int),
    'uint32': (idl.uint32, int),
    'int64': (idl.int64, int),
    'uint64': (idl.uint64, int),
    'float32': (idl.float32, float),
    'float64': (idl.float64, float),
    'string': (str, str),
}
#: Element types cyclonedds encodes as ``bytes`` inside fixed arrays.
_BYTE_SIZED = ('byte', 'char', 'uint8')
#: numpy dtypes rosbags uses for arrays and sequences of numeric base types.
_NUMPY = {'bool': np.bool_, 'byte': np.uint8, 'char': np.uint8}
_MAX_SEQUENCE_BOUND = 65535  # cyclonedds-python rejects larger bounds (the wire is unaffected)
_TOPIC = re.compile(r'(/[A-Za-z_][A-Za-z0-9_]*)+')
_TYPE = re.compile(r'([A-Za-z][A-Za-z0-9_]*)/(msg|srv|action)/([A-Za-z][A-Za-z0-9_]*)')

_CACHE: weakref.WeakKeyDictionary[Any, dict[str, type[IdlStruct]]] = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()


def ros_topic_to_dds(topic: str) -> str:
    """DDS topic name of a fully qualified ROS topic: ``/a/b`` -> ``rt/a/b``.

    Raises:
        TopicNameError: ``topic`` is not fully qualified or has an invalid token.
    """
    if not _TOPIC.fullmatch(topic):
        raise TopicNameError(
            f'invalid ROS topic name {topic!r}: expected a fully qualified name such as '
            "'/event_camera/events' (tokens of letters, digits and '_', not starting with a digit)"
        )
    return 'rt' + topic


def dds_topic_to_ros(topic: str) -> str:
    """ROS topic name of a DDS topic: ``rt/a/b`` -> ``/a/b``.

    Raises:
        TopicNameError: ``topic`` lacks the ``rt/`` prefix of ROS topics.
    """
    if not topic.startswith('rt/'):
        raise TopicNameError(f'DDS topic {topic!r} is not a ROS topic (no rt/ prefix)')
    return topic[2:]


def dds_type_name(msgtype: str) -> str:
    """DDS type name of a ROS type: ``pkg/msg/Name`` -> ``pkg::msg::dds_::Name_``.

    Raises:
        TypeMappingError: ``msgtype`` is not of the form ``pkg/msg/Name``.
    """
    match = _TYPE.fullmatch(msgtype)
    if not match:
        raise TypeMappingError(f"invalid ROS type name {msgtype!r}: expected 'pkg/msg/Name'")
    package, kind, name = match.groups()
    return f'{package}::{kind}::dds_::{name}_'


def ros_type_name(dds_name: str) -> str:
    """ROS type of a DDS type name: ``pkg::msg::dds_::Name_`` -> ``pkg/msg/Name`` (else as is)."""
    parts = dds_name.split('::')
    if len(parts) == 4 and parts[2] == 'dds_' and parts[3].endswith('_'):
        return f'{parts[0]}/{parts[1]}/{parts[3][:-1]}'
    return dds_name


def idl_type(typestore: Any, msgtype: str) -> type[IdlStruct]:
    """The final ``IdlStruct`` class of ``msgtype`` (``pkg/msg/Name``), built once per typestore.

    Args:
        typestore: A rosbags typestore, e.g. :func:`asynet_ros.interfaces.typestore`.
        msgtype: A type registered in ``typestore``.

    Raises:
        TypeMappingError: the type (or a nested one) is unknown, or a field kind has no
            cyclonedds-python equivalent (``float128``, wide strings).
    """
    with _LOCK:
        return _build(typestore, msgtype, _CACHE.setdefault(typestore, {}))


def to_idl(typestore: Any, msg: Any, msgtype: str | None = None) -> IdlStruct:
    """The ``IdlStruct`` instance holding the values of the rosbags message ``msg``."""
    msgtype = msgtype or msg.__msgtype__
    cls = idl_type(typestore, msgtype)
    return cls(
        **{
            name: _to_idl_value(typestore, desc, getattr(msg, name))
            for name, desc in _fields(typestore, msgtype)
        }
    )


def from_idl(typestore: Any, sample: IdlStruct, msgtype: str) -> Any:
    """The rosbags message of ``msgtype`` holding the values of the ``IdlStruct`` ``sample``."""
    return typestore.types[msgtype](
        **{
            name: _from_idl_value(typestore, desc, getattr(sample, name))
            for name, desc in _fields(typestore, msgtype)
        }
    )


def _fields(typestore: Any, msgtype: str) -> list[tuple[str, Any]]:
    try:
        return list(typestore.fielddefs[msgtype][1])
    except KeyError:
        raise TypeMappingError(
            f'unknown message type {msgtype!r}: not in the typestore '
            f'({len(typestore.fielddefs)} types; register its .msg definition first)'
        ) from None


def _build(typestore: Any, msgtype: str, cache: dict[str, type[IdlStruct]]) -> type[IdlStruct]:
    if msgtype in cache:
        return cache[msgtype]
    fields = {
        name: _element(typestore, f'{msgtype}.{name}', desc, cache)
        for name, desc in _fields(typestore, msgtype)
    }
    cache[msgtype] = _make_struct(msgtype, fields)
    return cache[msgtype]


def _make_struct(msgtype: str, fields: dict[str, tuple[Any, Callable[[], Any]]]) -> type[Any]:
    """A ``@dataclass`` final ``IdlStruct`` named like rmw_cyclonedds, with field defaults."""
    class_name = msgtype.rsplit('/', 1)[-1] + '_'
    bases = (IdlStruct,)
    namespace = IdlMeta.__prepare__(class_name, bases, typename=dds_type_name(msgtype))
    namespace['__idl_annotations__']['extensibility'] = 'final'
    namespace['__module__'] = __name__
    namespace['__qualname__'] = class_name
    for name, (annotation, factory) in fields.items():
        namespace['__annotations__'][name] = annotation
        namespace[name] = dataclasses.field(default_factory=factory)
    return dataclasses.dataclass(IdlMeta(class_name, bases, namespace))


def _element(
    typestore: Any, where: str, desc: Any, cache: dict[str, type[IdlStruct]]
) -> tuple[Any, Callable[[], Any]]:
    """(annotation, default factory) of one field description."""
    kind, detail = desc
    if kind == Nodetype.BASE:
        return _base(where, *detail)
    if kind == Nodetype.NAME:
        nested = _build(typestore, detail, cache)
        return nested, nested
    sub, size = detail
    annotation, factory = _element(typestore, where, sub, cache)
    if kind == Nodetype.ARRAY:
        if sub[0] == Nodetype.BASE and sub[1][0] in _BYTE_SIZED:
            return idl.array[annotation, size], lambda: bytes(size)
        return idl.array[annotation, size], lambda: [factory() for _ in range(size)]
    if 0 < size <= _MAX_SEQUENCE_BOUND:
        return idl.sequence[annotation, size], list
    return idl.sequence[annotation], list


def _base(where: str, name: str, bound: int) -> tuple[Any, Callable[[], Any]]:
    if name not in _BASE:
        raise TypeMappingError(f'{where}: field type {name!r} has no cyclonedds-python equivalent')
    if name == 'string' and bound:
        return idl.bounded_str[bound], str
    return _BASE[name]


def _is_numeric(desc: Any) -> bool:
    return bool(desc[0] == Nodetype.BASE and desc[1][0] != 'string')


def _to_idl_value(typestore: Any, desc: Any, value: Any) -> Any:
    kind, detail = desc
    if kind == Nodetype.BASE:
        value = value.item() if isinstance(value, np.generic) else value
        return value & 0xFF if detail[0] == 'byte' else value  # rosbags: int8, DDS: octet
    if kind == Nodetype.NAME:
        return to_idl(typestore, value, detail)
    sub = detail[0]
    if not _is_numeric(sub):
        return [_to_idl_value(typestore, sub, item) for item in value]
    if kind == Nodetype.ARRAY and sub[1][0] in _BYTE_SIZED:
        return np.asarray(value, dtype=np.uint8).tobytes()
    return np.asarray(value).tolist()


def _from_idl_value(typestore: Any, desc: Any, value: Any) -> Any:
    kind, detail = desc
    if kind == Nodetype.BASE:
        return value - 256 if detail[0] == 'byte' and value > 127 else value
    if kind == Nodetype.NAME:
        return from_idl(typestore, value, detail)
    sub = detail[0]
    if not _is_numeric(sub):
        return [_from_idl_value(typestore, sub, item) for item in value]
    dtype = _NUMPY.get(sub[1][0], sub[1][0])
    if isinstance(value, bytes | bytearray):
        return np.frombuffer(value, dtype=np.uint8).astype(dtype)
    return np.array(value, dtype=dtype)
