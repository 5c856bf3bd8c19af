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

"""asynet_ros: event-camera perception for ROS 2, and the ROS-free paths it is tested on.

* :mod:`asynet_ros.decoders`: event_camera_msgs encodings and dvs_msgs to the event dtype;
* :mod:`asynet_ros.pipeline`: events -> window -> asynchronous engine -> results;
* :mod:`asynet_ros.bag`, :mod:`asynet_ros.dds`: rosbag2 files and Cyclone DDS without ROS 2;
* :mod:`asynet_ros.node`: the rclpy lifecycle node, a thin adapter over the pipeline.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ['BUNDLED_MODELS', 'bundled_checkpoint']

#: Checkpoints shipped in ``asynet_ros/models`` (see its README for how each was made).
BUNDLED_MODELS = ('synthetic_det', 'synthetic_cls')


def bundled_checkpoint(name: str = 'synthetic_det') -> Path:
    """Path of a bundled demo checkpoint.

    Raises:
        ValueError: ``name`` is not bundled (the message lists the bundled ones).
        FileNotFoundError: the file is missing from this install.
    """
    if name not in BUNDLED_MODELS:
        raise ValueError(f'no bundled checkpoint {name!r}; bundled: {list(BUNDLED_MODELS)}')
    path = Path(__file__).resolve().parent / 'models' / f'{name}.pt'
    if not path.is_file():
        raise FileNotFoundError(f'bundled checkpoint {path} is missing from this install')
    return path
