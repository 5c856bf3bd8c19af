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

"""The IdlStruct classes built from the typestore: names, XCDR1, and bytes equal to rosbags'."""

from __future__ import annotations

import typing
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
import pytest
from rosbags.interfaces import Nodetype
from rosbags.typesys import get_types_from_msg, Stores

from asynet_ros.dds import (
    dds_topic_to_ros,
    dds_type_name,
    from_idl,
    idl_type,
    ros_topic_to_dds,
    to_idl,
    TopicNameError,
    TypeMappingError,
)
from asynet_ros.interfaces import definitions, typestore

ALL_KINDS = 'asynet_test_msgs/msg/AllKinds'
# Every field kind rosidl has (constants are not on the wire), in an order that needs padding.
ALL_KINDS_MSG = """
uint8 CONST_A=7
string CONST_S="hi"
bool b
int64 i64
byte by
char c
int8 i8
float64 f64
uint8 u8
int16 i16
uint16 u16
int32 i32
uint32 u32
uint64 u64
float32 f32
string s
string<=5 bounded
bool tail_of_scalars
float64[3] fa
uint8[4] ua
byte[2] bya
char[3] ca
bool[3] boa
int16[2] i16a
string[2] sa
builtin_interfaces/Time[2] ta
int64[] iseq
uint8[] useq
bool[] bseq
float32[] fseq
uint16[] u16seq
string[] sseq
int16[<=3] bseq16
string<=4[<=2] bsseq
builtin_interfaces/Time[] tseq
builtin_interfaces/Time[<=2] tbseq
std_msgs/Header h
uint8 tail
"""
OURS = sorted(definitions())  # every type in msg/, and the legacy event_array_msgs name
EXTRA = ['std_msgs/msg/Header', 'sensor_msgs/msg/Image', 'diagnostic_msgs/msg/DiagnosticArray']
TYPES = [*OURS, *EXTRA, ALL_KINDS]

INT_RANGES = {
    'byte': (-(2**7), 2**7 - 1),  # rosbags holds a scalar byte as int8 (arrays as uint8)
    'char': (0, 255),
    'int8': (-(2**7), 2**7 - 1),
    'uint8': (0, 2**8 - 1),
    'int16': (-(2**15), 2**15 - 1),
    'uint16': (0, 2**16 - 1),
    'int32': (-(2**31), 2**31 - 1),
    'uint32': (0, 2**32 - 1),
    'int64': (-(2**63), 2**63 - 1),
    'uint64': (0, 2**64 - 1),
}
NUMPY = {'bool': np.bool_, 'byte': np.uint8, 'char': np.uint8}
UNICODE = st.text(st.characters(codec='utf-8', exclude_characters='\x00'), max_size=12)


@pytest.fixture(scope='module')
def ts() -> Any:
    store = typestore()
    store.register(get_types_from_msg(ALL_KINDS_MSG, ALL_KINDS))
    return store


def base_values(name: str, bound: int, *, element: bool = False) -> st.SearchStrategy[Any]:
    if name == 'bool':
        return st.booleans()
    if name in ('float32', 'float64'):
        return st.floats(width=32 if name == 'float32' else 64, allow_nan=False)
    if name == 'string':
        ascii_ = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
        return st.text(ascii_, max_size=bound) if bound else UNICODE
    low, high = (0, 255) if element and name == 'byte' else INT_RANGES[name]
    return st.integers(low, high)


def values(store: Any, desc: Any, max_len: int) -> st.SearchStrategy[Any]:
    """Values of one field as rosbags holds them (numpy arrays for numeric arrays)."""
    kind, detail = desc
    if kind == Nodetype.BASE:
        return base_values(*detail)
    if kind == Nodetype.NAME:
        return messages(store, detail, max_len)
    sub, size = detail
    low, high = (size, size) if kind == Nodetype.ARRAY else (0, size or max_len)
    is_base = sub[0] == Nodetype.BASE
    items = base_values(*sub[1], element=True) if is_base else values(store, sub, max_len)
    lists = st.lists(items, min_size=low, max_size=high)
    if sub[0] == Nodetype.BASE and sub[1][0] != 'string':
        dtype = NUMPY.get(sub[1][0], sub[1][0])
        return lists.map(lambda items: np.array(items, dtype=dtype))
    return lists


def messages(store: Any, msgtype: str, max_len: int = 4) -> st.SearchStrategy[Any]:
    fields = store.fielddefs[msgtype][1]
    return st.builds(
        store.types[msgtype], **{name: values(store, desc, max_len) for name, desc in fields}
    )


def assert_round_trip(store: Any, msg: Any, msgtype: str) -> None:
    """Check IdlStruct and rosbags write the same bytes and each reads the other's back equal."""
    expected = bytes(store.serialize_cdr(msg, msgtype))
    sample = to_idl(store, msg, msgtype)
    assert sample.serialize() == expected
    assert idl_type(store, msgtype).deserialize(expected) == sample
    assert to_idl(store, store.deserialize_cdr(sample.serialize(), msgtype), msgtype) == sample
    assert to_idl(store, from_idl(store, sample, msgtype), msgtype) == sample


@pytest.mark.parametrize('msgtype', TYPES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_messages_serialise_identically(ts: Any, msgtype: str, data: st.DataObject) -> None:
    assert_round_trip(ts, data.draw(messages(ts, msgtype)), msgtype)


@pytest.mark.parametrize('msgtype', TYPES)
def test_default_instances_serialise_identically(ts: Any, msgtype: str) -> None:
    sample = idl_type(ts, msgtype)()  # empty strings and sequences, zeros
    assert sample.serialize() == bytes(ts.serialize_cdr(from_idl(ts, sample, msgtype), msgtype))


def make(ts: Any, msgtype: str, **fields: Any) -> Any:
    """A rosbags message with defaults for the fields not given."""
    default = from_idl(ts, idl_type(ts, msgtype)(), msgtype)
    return ts.types[msgtype](**{**vars(default), **fields})


def header(ts: Any, frame_id: str = 'caméra_0 📷') -> Any:
    stamp = ts.types['builtin_interfaces/msg/Time'](sec=1_675_956_550, nanosec=318_916_461)
    return ts.types['std_msgs/msg/Header'](stamp=stamp, frame_id=frame_id)


def test_a_long_event_packet(ts: Any) -> None:
    events = np.random.default_rng(0).integers(0, 256, 1_200_003, dtype=np.uint8)
    msg = make(
        ts,
        'event_camera_msgs/msg/EventPacket',
        header=header(ts),
        height=720,
        width=1280,
        seq=2**40 + 1,
        time_base=123,
        encoding='evt3',
        events=events,
    )
    assert_round_trip(ts, msg, 'event_camera_msgs/msg/EventPacket')


def test_a_long_dvs_event_array(ts: Any) -> None:
    time_ = ts.types['builtin_interfaces/msg/Time']
    event = ts.types['dvs_msgs/msg/Event']
    events = [event(x=i % 640, y=i % 480, ts=time_(sec=i, nanosec=i * 7), polarity=i % 3 == 0)
              for i in range(5000)]  # fmt: skip
    msg = make(ts, 'dvs_msgs/msg/EventArray', header=header(ts, 'cam0'), events=events)
    assert_round_trip(ts, msg, 'dvs_msgs/msg/EventArray')
    # 36-byte prefix (header, 'cam0', height, width, count), then 16 n - 3 bytes of events
    assert len(ts.serialize_cdr(msg, 'dvs_msgs/msg/EventArray')) == 36 + 16 * 5000 - 3


def test_a_diagnostic_array_with_unicode_and_many_entries(ts: Any) -> None:
    t = ts.types
    statuses = [
        t['diagnostic_msgs/msg/DiagnosticStatus'](
            level=i % 4,
            name=f'capteur/événements {i}',
            message='ok ✓' * (i % 3),
            hardware_id='',
            values=[
                t['diagnostic_msgs/msg/KeyValue'](key=f'k{j}', value='値' * j) for j in range(i)
            ],
        )
        for i in range(40)
    ]
    msg = make(ts, 'diagnostic_msgs/msg/DiagnosticArray', header=header(ts), status=statuses)
    assert_round_trip(ts, msg, 'diagnostic_msgs/msg/DiagnosticArray')


@pytest.mark.parametrize('msgtype', TYPES)
def test_structs_are_final_xcdr1_with_rmw_names(ts: Any, msgtype: str) -> None:
    cls = idl_type(ts, msgtype)
    cls.__idl__.populate()
    assert cls.__idl_typename__ == dds_type_name(msgtype)
    assert cls.__idl_annotations__['extensibility'] == 'final'
    assert cls.__idl__.default_version == 1  # XCDR1: what rmw_cyclonedds accepts
    assert cls().serialize()[:4] == b'\x00\x01\x00\x00'  # CDR_LE, options 0


def test_nested_types_are_the_mangled_shared_classes(ts: Any) -> None:
    hints = typing.get_type_hints(idl_type(ts, 'vision_msgs/msg/Detection2DArray'))
    assert hints['header'] is idl_type(ts, 'std_msgs/msg/Header')
    stamp = typing.get_type_hints(hints['header'])['stamp']
    assert stamp.__idl_typename__ == 'builtin_interfaces::msg::dds_::Time_'
    pose = typing.get_type_hints(idl_type(ts, 'vision_msgs/msg/ObjectHypothesisWithPose'))['pose']
    assert pose.__idl_typename__ == 'geometry_msgs::msg::dds_::PoseWithCovariance_'


def test_classes_are_cached_per_typestore(ts: Any) -> None:
    name = 'vision_msgs/msg/LabelInfo'
    assert idl_type(ts, name) is idl_type(ts, name)
    other = typestore(Stores.ROS2_JAZZY)
    assert idl_type(other, name) is not idl_type(ts, name)
    assert idl_type(other, name).__idl_typename__ == idl_type(ts, name).__idl_typename__


def test_name_mangling() -> None:
    assert ros_topic_to_dds('/event_camera/events') == 'rt/event_camera/events'
    assert ros_topic_to_dds('/a') == 'rt/a'
    assert dds_topic_to_ros('rt/a/b') == '/a/b'
    assert dds_type_name('vision_msgs/msg/Detection2DArray') == (
        'vision_msgs::msg::dds_::Detection2DArray_'
    )
    assert dds_type_name('std_srvs/srv/Trigger_Request') == 'std_srvs::srv::dds_::Trigger_Request_'


@pytest.mark.parametrize('topic', ['events', '/a//b', '/a/', '/1a', '/a b', ''])
def test_invalid_topic_names_are_rejected(topic: str) -> None:
    with pytest.raises(TopicNameError, match='invalid ROS topic name'):
        ros_topic_to_dds(topic)


def test_dds_topics_without_the_ros_prefix_are_rejected() -> None:
    with pytest.raises(TopicNameError, match="'ros_discovery_info' is not a ROS topic"):
        dds_topic_to_ros('ros_discovery_info')


@pytest.mark.parametrize('name', ['Header', 'std_msgs/Header', 'std_msgs/msg/', 'a/b/c/d'])
def test_invalid_type_names_are_rejected(name: str) -> None:
    with pytest.raises(TypeMappingError, match="expected 'pkg/msg/Name'"):
        dds_type_name(name)


def test_unknown_types_are_named_in_the_error(ts: Any) -> None:
    with pytest.raises(TypeMappingError, match=r"unknown message type 'nope_msgs/msg/Nope'"):
        idl_type(ts, 'nope_msgs/msg/Nope')


def test_field_kinds_without_a_dds_equivalent_are_named(ts: Any) -> None:
    ts.register({'asynet_test_msgs/msg/Wide': ([], [('v', (Nodetype.BASE, ('float128', 0)))])})
    with pytest.raises(TypeMappingError, match=r"Wide\.v: field type 'float128'"):
        idl_type(ts, 'asynet_test_msgs/msg/Wide')
