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

"""Cyclone DDS configuration: loopback-only discovery, the domain id, the Fast DDS interop fix."""

from __future__ import annotations

from pathlib import Path
import xml.etree.ElementTree as ET

import pytest

from asynet_core.errors import ConfigError
from asynet_ros.dds import (
    domain_id_from_env,
    loopback_config,
    use_interop,
    use_loopback,
)
from asynet_ros.dds.config import INTEROP_FRAGMENT


def test_loopback_config_is_unicast_on_lo(tmp_path: Path) -> None:
    ns = {'c': 'https://cdds.io/config'}
    root = ET.fromstring(loopback_config())
    domain = root.find('c:Domain', ns)
    assert domain is not None
    assert domain.find('c:General/c:Interfaces/c:NetworkInterface', ns).get('name') == 'lo'
    assert domain.findtext('c:General/c:AllowMulticast', namespaces=ns) == 'false'
    assert domain.findtext('c:Discovery/c:ParticipantIndex', namespaces=ns) == 'auto'
    assert domain.findtext('c:Discovery/c:MaxAutoParticipantIndex', namespaces=ns) == '32'
    assert domain.find('c:Discovery/c:Peers/c:Peer', ns).get('address') == '127.0.0.1'
    env: dict[str, str] = {}
    uri = use_loopback(tmp_path / 'cyclone.xml', env)
    assert env == {'CYCLONEDDS_URI': uri}
    assert uri.startswith('file://')
    assert (tmp_path / 'cyclone.xml').read_text(encoding='utf-8') == loopback_config()
    with pytest.raises(ConfigError, match='max_participant_index must be in'):
        loopback_config(max_participant_index=500)


def test_the_domain_id_comes_from_ros_domain_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('ROS_DOMAIN_ID', '42')
    assert domain_id_from_env() == 42
    assert domain_id_from_env(7) == 7
    monkeypatch.delenv('ROS_DOMAIN_ID')
    assert domain_id_from_env() == 0
    monkeypatch.setenv('ROS_DOMAIN_ID', 'abc')
    with pytest.raises(ConfigError, match=r"ROS_DOMAIN_ID='abc' is not an integer"):
        domain_id_from_env()
    with pytest.raises(ConfigError, match=r'domain id 300 is outside \[0, 232\]'):
        domain_id_from_env(300)


def test_loopback_config_ignores_fast_dds_type_information() -> None:
    root = ET.fromstring(loopback_config())
    ns = {'c': 'https://cdds.io/config'}
    assert root.findtext('c:Domain/c:Compatibility/c:IgnoreTypeInformation', namespaces=ns) == (
        '1.15'
    )
    off = ET.fromstring(loopback_config(ignore_type_information='1.1'))
    assert off.findtext('.//c:IgnoreTypeInformation', namespaces=ns) == '1.1'
    with pytest.raises(ConfigError, match=r'vendor ids such as 1\.15'):
        loopback_config(ignore_type_information='eprosima')


def test_use_interop_puts_the_fix_before_the_user_config() -> None:
    env = {'CYCLONEDDS_URI': 'file:///etc/my_cyclone.xml'}
    uri = use_interop(env)
    assert uri == env['CYCLONEDDS_URI']
    assert uri.startswith(INTEROP_FRAGMENT)
    assert uri.endswith(',file:///etc/my_cyclone.xml')  # applied last: the user's wins
    assert use_interop(env) == uri  # idempotent
    assert use_interop({}) == INTEROP_FRAGMENT


def test_cyclone_uri_keeps_user_config() -> None:
    """The interop fragment goes first, so the user's own configuration still wins."""
    from asynet_ros.dds import interop_uri
    from asynet_ros.dds.config import INTEROP_FRAGMENT

    assert interop_uri(None) == INTEROP_FRAGMENT
    assert interop_uri('file:///u.xml') == f'{INTEROP_FRAGMENT},file:///u.xml'
    assert interop_uri(interop_uri('file:///u.xml')) == interop_uri('file:///u.xml')
    assert '<IgnoreTypeInformation>1.15<' in INTEROP_FRAGMENT
