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

"""The count of skipped event-topic messages of a bag (re-exported by :mod:`asynet_ros.bag`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ['Skipped']


@dataclass
class Skipped:
    """Messages of an event topic that were skipped, by kind, with the first reason of each.

    Kinds: ``undecodable_messages`` (bytes that do not deserialise as the recorded type: a
    corrupt record), ``wrong_type_messages`` (a message of a non-event type on the topic).
    """

    undecodable_messages: int = 0
    wrong_type_messages: int = 0
    first: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, reason: str) -> None:
        """Count one skipped message of ``kind``."""
        setattr(self, kind, getattr(self, kind) + 1)
        self.first.setdefault(kind, reason)

    @property
    def total(self) -> int:
        """Messages skipped."""
        return self.undecodable_messages + self.wrong_type_messages

    def to_dict(self) -> dict[str, int]:
        """The counts by kind."""
        return {
            'undecodable_messages': self.undecodable_messages,
            'wrong_type_messages': self.wrong_type_messages,
        }
