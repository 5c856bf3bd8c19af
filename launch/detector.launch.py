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

"""Launch the asynet_ros detector as a lifecycle node, configured and activated on start.

Usage: ``ros2 launch asynet_ros detector.launch.py [checkpoint:=/path/model.pt]
[input_topic:=/event_camera/events] [params_file:=/path/detector.yaml] [autostart:=false]``.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.substitutions import FindPackageShare
from lifecycle_msgs.msg import Transition

#: Launch arguments that override the parameter file, but only when given (non-empty).
OVERRIDES = ('checkpoint', 'input_topic')


def _node_and_transitions(context):
    """The node and, with autostart, the configure event and a one-shot activate handler."""
    overrides = {}
    for name in OVERRIDES:
        value = LaunchConfiguration(name).perform(context)
        if value:
            overrides[name] = value
    node = LifecycleNode(
        package='asynet_ros',
        executable='detector',
        name='asynet_detector',
        namespace=LaunchConfiguration('namespace').perform(context),
        output='screen',
        parameters=[LaunchConfiguration('params_file').perform(context), overrides],
    )
    if LaunchConfiguration('autostart').perform(context).lower() not in ('true', '1', 'yes'):
        return [node]
    matcher = matches_action(node)
    activate = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=node,
            start_state='configuring',  # not a later deactivate, which must stay inactive
            goal_state='inactive',
            handle_once=True,  # nor a later configure by hand: autostart is the launch's only
            entities=[
                EmitEvent(
                    event=ChangeState(
                        lifecycle_node_matcher=matcher,
                        transition_id=Transition.TRANSITION_ACTIVATE,
                    )
                )
            ],
        )
    )
    configure = EmitEvent(
        event=ChangeState(
            lifecycle_node_matcher=matcher, transition_id=Transition.TRANSITION_CONFIGURE
        )
    )
    return [node, activate, configure]


def generate_launch_description():
    """Declare the arguments; start the node, then configure and activate it.

    The package share is looked up when the launch runs (``FindPackageShare``), so the file also
    loads where asynet_ros is not on the ament index yet (``--show-args``, tooling).
    """
    args = [
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution(
                [FindPackageShare('asynet_ros'), 'config', 'detector.yaml']
            ),
            description='parameter file of the node',
        ),
        DeclareLaunchArgument(
            'checkpoint',
            default_value='',
            description="checkpoint (.pt); empty: the parameter file's (bundled demo if empty)",
        ),
        DeclareLaunchArgument(
            'input_topic', default_value='', description="event topic; empty: the file's"
        ),
        DeclareLaunchArgument('namespace', default_value=''),
        DeclareLaunchArgument('autostart', default_value='true'),
    ]
    return LaunchDescription([*args, OpaqueFunction(function=_node_and_transitions)])
