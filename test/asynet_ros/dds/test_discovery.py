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

"""ROS node names on the DDS graph: the default one of a program, validated."""

from __future__ import annotations

import pytest

from asynet_ros.dds.discovery import default_node_name, validate_node_name


@pytest.mark.parametrize(
    ('program', 'name'),
    [
        ('/usr/bin/asynet-play', 'asynet_play'),
        ('detect.py', 'detect'),
        ('3d', '_3d'),
        ('', 'asynet'),
    ],
)
def test_default_node_name(program: str, name: str) -> None:
    assert default_node_name(program) == name
    validate_node_name(name)
