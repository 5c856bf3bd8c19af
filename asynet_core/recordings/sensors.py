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

"""Sensor sizes known from the sensor or camera-plugin names written in Prophesee file headers.

A RAW file recorded by the Metavision SDK names its camera plugin (``% plugin_name
hal_plugin_imx636_evk4``) and often the sensor generation (``% sensor_generation 4.2``), but
third-party and older files may carry no ``format``/``geometry`` line. The names below map to the
pixel array of the sensor they name. ``% serial_number``, ``% integrator_name`` and ``% system_ID``
identify a unit or a vendor, not a sensor size, and are not used.
"""

from __future__ import annotations

import re

from asynet_core.events import SensorSize

__all__ = ['KNOWN_SENSORS', 'SENSOR_GENERATIONS', 'SENSOR_NAME_KEYS', 'sensors_named']

_HD = SensorSize(1280, 720)
_VGA = SensorSize(640, 480)

#: Sensor or plugin name fragments (lower case) -> pixel array. A fragment matches a header value
#: when one of the value's ``_``/``-``/space separated words starts with it.
KNOWN_SENSORS: dict[str, SensorSize] = {
    'imx636': _HD,  # Sony/Prophesee IMX636 (EVK4, hal_plugin_imx636_evk4)
    'imx646': _HD,
    'gen41': _HD,  # Prophesee Gen4.1 (EVK3 HD, hal_plugin_gen41_evk3)
    'gen4': _HD,
    'genx320': SensorSize(320, 320),  # GenX320 (hal_plugin_genx320_*)
    'gen31': _VGA,  # Gen3.1 VGA (EVK2/3 VGA, hal_plugin_gen31_fx3, _evk2, _evk3)
    'gen3': _VGA,  # Gen3 VGA (hal_plugin_gen3_fx3)
    'atis': SensorSize(304, 240),  # ATIS / Gen1 (N-Cars, Gen1 automotive)
    'gen1': SensorSize(304, 240),
}

#: ``% sensor_generation`` / ``% generation`` values -> pixel array.
SENSOR_GENERATIONS: dict[str, SensorSize] = {
    '4.1': _HD,
    '4.2': _HD,  # IMX636
    '3.1': _VGA,
    '3.0': _VGA,
}

#: Header keys whose values may name a sensor or a camera plugin.
SENSOR_NAME_KEYS = ('plugin_name', 'sensor_name', 'camera_name', 'sensor', 'camera')
_GENERATION_KEYS = ('sensor_generation', 'generation')


def sensors_named(header: dict[str, str]) -> dict[str, SensorSize]:
    """The sensor sizes the header's sensor/plugin names and generation imply.

    Args:
        header: ``% key value`` lines as {key: value}.

    Returns:
        ``{'key=value': size}`` for every header line that names a known sensor (empty if none).
    """
    found: dict[str, SensorSize] = {}
    for key in SENSOR_NAME_KEYS:
        if key in header:
            size = _match_name(header[key])
            if size is not None:
                found[f'{key}={header[key]}'] = size
    for key in _GENERATION_KEYS:
        value = header.get(key, '').strip()
        if value in SENSOR_GENERATIONS:
            found[f'{key}={value}'] = SENSOR_GENERATIONS[value]
    return found


def _match_name(value: str) -> SensorSize | None:
    words = [w for w in re.split(r'[\s_\-]+', value.lower()) if w]
    for fragment in sorted(KNOWN_SENSORS, key=len, reverse=True):
        if any(word.startswith(fragment) for word in words):
            return KNOWN_SENSORS[fragment]
    return None
