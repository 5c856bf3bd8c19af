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

"""cdr_to_event_message on fuzzed CDR: an EventMessage or a BagError, never another error."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from asynet_ros.bag import BagError, cdr_to_event_message
from asynet_ros.event_message import (
    EVENT_ARRAY_TYPE,
    EVENT_PACKET_TYPES,
    EventMessage,
)
from fuzzing import FUZZ, mutated, packet_cdrs, shared_typestore, watchdog

MSGTYPES = st.sampled_from([*EVENT_PACKET_TYPES, EVENT_ARRAY_TYPE, 'std_msgs/msg/String', 'x'])


@FUZZ
@given(data=st.data(), msgtype=MSGTYPES)
def test_cdr_to_event_message_raises_only_bag_error(data: st.DataObject, msgtype: str) -> None:
    corpus = list(packet_cdrs())
    raw = data.draw(st.one_of(mutated(corpus), st.sampled_from(corpus), st.binary(max_size=256)))
    with watchdog():
        try:
            msg = cdr_to_event_message(shared_typestore(), raw, msgtype)
        except BagError:
            return
    assert msgtype in (*EVENT_PACKET_TYPES, EVENT_ARRAY_TYPE)
    assert isinstance(msg, EventMessage)
    assert all(isinstance(v, int) for v in (msg.width, msg.height, msg.time_base_ns, msg.seq))
