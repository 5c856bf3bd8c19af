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

"""The ROS 2 message definitions asynet_ros speaks, for the paths that run without ROS 2.

``msg/<package>/msg/<Type>.msg`` (installed to ``share/asynet_ros/msg``) holds dvs_msgs (ROS 2
port), event_camera_msgs/EventPacket and the vision_msgs 4.1.1 subset the node publishes. They
are registered in a :mod:`rosbags` typestore on top of a ROS 2 distro's built-in types
(std_msgs, geometry_msgs, builtin_interfaces); the older ``event_array_msgs/msg/EventArray``
(same fields as EventPacket) is registered too, for legacy bags. Under ROS 2 the installed
interface packages are used instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rosbags.typesys import get_types_from_msg, get_typestore, Stores

__all__ = ['LEGACY_ALIASES', 'definitions', 'msg_dir', 'typestore']

#: Older type names with the same fields as a current one.
LEGACY_ALIASES = {'event_array_msgs/msg/EventArray': 'event_camera_msgs/msg/EventPacket'}

_HERE = Path(__file__).resolve().parent


def msg_dir() -> Path:
    """The folder holding ``<package>/msg/*.msg``: the source tree's, else the installed one."""
    candidates = [_HERE.parent / 'msg']  # source tree or editable install
    if len(_HERE.parents) > 3:  # <prefix>/lib/pythonX.Y/site-packages/asynet_ros
        candidates.append(_HERE.parents[3] / 'share' / 'asynet_ros' / 'msg')
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f'no msg/ folder in {[str(p) for p in candidates]}')


def definitions() -> dict[str, str]:
    """Type name (``pkg/msg/Type``) -> ``.msg`` text, legacy aliases included."""
    texts = {
        f'{path.parts[-3]}/msg/{path.stem}': path.read_text(encoding='utf-8')
        for path in sorted(msg_dir().glob('*/msg/*.msg'))
    }
    texts.update({old: texts[new] for old, new in LEGACY_ALIASES.items()})
    return texts


def typestore(store: Stores = Stores.ROS2_HUMBLE) -> Any:
    """A rosbags typestore with the project's types on top of ``store``'s built-ins."""
    types: dict[str, Any] = {}
    for name, text in definitions().items():
        types.update(get_types_from_msg(text, name))
    result = get_typestore(store)
    result.register(types)
    return result
