"""One detector per platform; each module registers itself with `register_detector`."""
