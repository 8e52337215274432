"""Real-browser and launch-path tests (``make test-browser``); kept apart from tests/ so unit tests stay fast."""
