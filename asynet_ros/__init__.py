"""ROS 2 side of asynet_ros: thin node adapters around the asynet_core pipeline (to come)."""
