"""asynet_core: event representations, sparse VGG models and the exact asynchronous engine.

Imports only numpy, torch and spconv; never rclpy or training code.
"""
