"""What is known about each platform: URL identity and the detectors that read its pages."""

from toolkit.platforms.registry import get, identify, platform_for_url, platforms

__all__ = ["get", "identify", "platform_for_url", "platforms"]
