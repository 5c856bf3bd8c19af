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

"""Cyclone DDS configuration: the domain id and a loopback-only configuration.

ROS 2 on one host with ``ROS_LOCALHOST_ONLY=1`` (Humble) or
``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST`` (Jazzy) makes rmw_cyclonedds talk over the loopback
interface with unicast discovery (no multicast, ``ParticipantIndex`` auto, peer ``localhost``).
:func:`loopback_config` is that setup for this side; tests use it so they never leave the host.
Loopback usually has no MULTICAST flag (``ip link show lo``), so discovery must be unicast: every
process takes a free participant index (at most 33 per host and domain by default) and
sends SPDP to the ports of all indices on 127.0.0.1. Large payloads use 64 kB RTPS messages on
loopback (its MTU is 64 kB) instead of Cyclone's 14 kB default.

Interoperability with Fast DDS 3 (ROS 2 Kilted and later): Fast DDS 3 sends XTypes type
information that Cyclone cannot use, and Cyclone's type-assignability check then refuses to
deliver any sample although discovery matches. ``<Compatibility><IgnoreTypeInformation>`` with
eProsima's vendor id (1.15) makes Cyclone match on type names only, as for Fast DDS 2 (Jazzy).
The loopback configuration has it, and :func:`use_interop` puts it in front of the user's own
``CYCLONEDDS_URI`` (later entries win, so a user's setting of that element still applies);
:class:`~asynet_ros.dds.transport.DdsGraph` calls it before creating its participant.

Cyclone reads ``CYCLONEDDS_URI`` when a process creates the first participant of a domain, so
:func:`use_loopback` must run before that (or in the environment of a child process).
"""

from __future__ import annotations

from collections.abc import MutableMapping
import os
from pathlib import Path
import re
import tempfile
from typing import Any

from asynet_core.errors import ConfigError

__all__ = [
    'IGNORE_TYPE_INFORMATION',
    'INTEROP_FRAGMENT',
    'MAX_DOMAIN_ID',
    'domain_id_from_env',
    'interop_uri',
    'loopback_config',
    'use_interop',
    'use_loopback',
    'write_loopback_config',
]

#: The largest domain id Cyclone's default port mapping allows (7400 + 250 * id must fit).
MAX_DOMAIN_ID = 232

#: Vendor ids whose type information Cyclone ignores: eProsima (Fast DDS 3 type objects).
IGNORE_TYPE_INFORMATION = '1.15'
_COMPATIBILITY = '<Compatibility><IgnoreTypeInformation>{}</IgnoreTypeInformation></Compatibility>'
_VENDOR_IDS = re.compile(r'[0-9]{1,3}\.[0-9]{1,3}(,[0-9]{1,3}\.[0-9]{1,3})*')
#: The inline Cyclone configuration :func:`use_interop` adds to ``CYCLONEDDS_URI``.
INTEROP_FRAGMENT = (
    f'<CycloneDDS><Domain Id="any">{_COMPATIBILITY.format(IGNORE_TYPE_INFORMATION)}'
    '</Domain></CycloneDDS>'
)

_LOOPBACK = """\
<?xml version="1.0" encoding="UTF-8"?>
<CycloneDDS xmlns="https://cdds.io/config">
  <Domain Id="any">
    <General>
      <Interfaces>
        <NetworkInterface name="lo" multicast="false"/>
      </Interfaces>
      <AllowMulticast>false</AllowMulticast>
      <MaxMessageSize>65500B</MaxMessageSize>
    </General>
    <Discovery>
      <ParticipantIndex>auto</ParticipantIndex>
      <MaxAutoParticipantIndex>{max_index}</MaxAutoParticipantIndex>
      <Peers>
        <Peer address="127.0.0.1"/>
      </Peers>
    </Discovery>
    {compatibility}
    <Internal>
      <SocketReceiveBufferSize min="default" max="{rcvbuf}"/>
    </Internal>
  </Domain>
</CycloneDDS>
"""


def domain_id_from_env(domain_id: int | None = None) -> int:
    """``domain_id`` if given, else ``$ROS_DOMAIN_ID``, else 0 (the ROS 2 rule).

    Raises:
        ConfigError: the id is not an integer in [0, MAX_DOMAIN_ID].
    """
    source = 'domain id'
    if domain_id is None:
        text = os.environ.get('ROS_DOMAIN_ID', '').strip()
        source = f'ROS_DOMAIN_ID={text!r}'
        try:
            domain_id = int(text) if text else 0
        except ValueError:
            raise ConfigError(f'{source} is not an integer') from None
    if not 0 <= domain_id <= MAX_DOMAIN_ID:
        raise ConfigError(f'{source} {domain_id} is outside [0, {MAX_DOMAIN_ID}]')
    return domain_id


def loopback_config(
    max_participant_index: int = 32,
    receive_buffer_mb: int = 8,
    ignore_type_information: str = IGNORE_TYPE_INFORMATION,
) -> str:
    """Cyclone XML: loopback only, no multicast, unicast peer 127.0.0.1, auto participant index.

    It also ignores Fast DDS's type information, for Kilted and later (see the module docstring).

    Args:
        max_participant_index: highest automatic participant index, so at most this + 1
            processes per host and domain; unicast discovery probes the ports of all of them
            (rmw_cyclonedds uses 32).
        receive_buffer_mb: socket receive buffer to ask for (the kernel caps it at
            ``net.core.rmem_max``); large best-effort bursts need more than Cyclone's 1 MB.
        ignore_type_information: vendor ids (``major.minor``, comma-separated) whose type
            information Cyclone ignores; another vendor than eProsima's 1.15 turns the Fast DDS
            3 fix off, which only a test that shows the failure wants.
    """
    if not 0 <= max_participant_index <= 119:
        raise ConfigError(
            f'max_participant_index must be in [0, 119], got {max_participant_index}'
        )
    if receive_buffer_mb < 1:
        raise ConfigError(f'receive_buffer_mb must be >= 1, got {receive_buffer_mb}')
    if not _VENDOR_IDS.fullmatch(ignore_type_information):
        raise ConfigError(
            'ignore_type_information must be vendor ids such as 1.15 (comma-separated), '
            f'got {ignore_type_information!r}'
        )
    return _LOOPBACK.format(
        max_index=max_participant_index,
        rcvbuf=f'{receive_buffer_mb}MB',
        compatibility=_COMPATIBILITY.format(ignore_type_information),
    )


def write_loopback_config(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Path:
    """Write :func:`loopback_config` (``kwargs`` passed on) to ``path`` and return it.

    The default path is one file per user in the temp folder, replaced atomically, so repeated
    or concurrent runs neither pile up files nor read a half-written one.
    """
    target = Path(path) if path is not None else _default_config_path()
    fd, partial = tempfile.mkstemp(prefix=target.name, suffix='.partial', dir=target.parent)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(loopback_config(**kwargs))
    os.replace(partial, target)
    return target


def _default_config_path() -> Path:
    user = os.getuid() if hasattr(os, 'getuid') else os.getpid()
    return Path(tempfile.gettempdir()) / f'asynet_cyclonedds_loopback_{user}.xml'


def use_loopback(
    path: str | os.PathLike[str] | None = None,
    env: MutableMapping[str, str] | None = None,
) -> str:
    """Write the loopback configuration and point ``CYCLONEDDS_URI`` in ``env`` at it.

    Args:
        path: where to write the XML (default: see :func:`write_loopback_config`).
        env: the environment to change (default ``os.environ``; pass a copy for a child).

    Returns:
        The ``file://`` URI now in ``env['CYCLONEDDS_URI']``.
    """
    uri = write_loopback_config(path).resolve().as_uri()
    (os.environ if env is None else env)['CYCLONEDDS_URI'] = uri
    return uri


def interop_uri(uri: str | None) -> str:
    """``uri`` (a ``CYCLONEDDS_URI`` value) with :data:`INTEROP_FRAGMENT` in front of it.

    Cyclone applies the entries of the list in order, so the user's configuration (``uri``)
    still overrides the fragment. Idempotent; an empty or missing ``uri`` gives the fragment.
    """
    uri = (uri or '').strip()
    if uri.startswith(INTEROP_FRAGMENT):
        return uri
    return f'{INTEROP_FRAGMENT},{uri}' if uri else INTEROP_FRAGMENT


def use_interop(env: MutableMapping[str, str] | None = None) -> str:
    """Make ``env['CYCLONEDDS_URI']`` (default ``os.environ``) :func:`interop_uri` of itself.

    Takes effect for the domains a process creates afterwards (and for its children).

    Returns:
        The new ``CYCLONEDDS_URI``.
    """
    target = os.environ if env is None else env
    target['CYCLONEDDS_URI'] = interop_uri(target.get('CYCLONEDDS_URI'))
    return target['CYCLONEDDS_URI']
