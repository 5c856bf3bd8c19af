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

"""``benchmarks/overload_dds.py``: the looped packet stream keeps time past the evt3 rollover."""

from __future__ import annotations

import numpy as np

from asynet_benchmarks.overload_dds import make_pool, POOL_US
from asynet_ros.bag import cdr_to_event_message
from asynet_ros.decoders import Evt3Decoder
from asynet_ros.interfaces import typestore


def test_pool_loops_with_increasing_time_past_the_evt3_rollover() -> None:
    pool = make_pool(1000.0)  # one event per packet: cheap to decode 34 loops (17.4 s)
    ts, decoder = typestore(), Evt3Decoder()
    first = Evt3Decoder()
    once = [
        first.decode(np.frombuffer(pool.cdr[j], np.uint8, offset=pool.payload_at[j]), 304, 240)
        for j in range(len(pool))
    ]
    loops = 34  # past 2**24 us
    for i in range(loops * len(pool)):
        stamp, data = pool.message(i, 10**18)
        msg = cdr_to_event_message(ts, data, 'event_camera_msgs/msg/EventPacket')
        loop, j = divmod(i, len(pool))
        events = decoder.decode(msg.payload, msg.width, msg.height)
        np.testing.assert_array_equal(events['t'], once[j]['t'] + loop * POOL_US)
        assert (msg.seq, stamp) == (i, 10**18 + int(events['t'][0]) * 1000)
    assert int(events['t'][-1]) > 1 << 24
