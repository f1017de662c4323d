"""The EHR's clock: wall time plus an offset that tests move forward to expire codes and tokens."""

from __future__ import annotations

import threading
import time


class OffsetClock:
    """Seconds since the epoch, shifted by `advance`."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Now, as the EHR sees it."""
        with self._lock:
            return time.time() + self._offset

    def reset(self) -> None:
        """Back to the real time."""
        with self._lock:
            self._offset = 0.0

    def advance(self, seconds: float) -> None:
        """Move the EHR's time (negative values move it back)."""
        with self._lock:
            self._offset += seconds
