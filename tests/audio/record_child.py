"""Child process for the kill -9 test: records from a device until it is killed.

Prints ``started <partial path>`` once recording, then ``flushed <seconds>`` after every flush.
"""

from __future__ import annotations

import sys

from tui.audio.capture import Recorder


def main() -> None:
    device, path = sys.argv[1], sys.argv[2]
    rec = Recorder(device, flush_every_s=0.5)
    rec.on_flush = lambda seconds: print(f"flushed {seconds:.3f}", flush=True)
    partial = rec.start(path)
    print(f"started {partial}", flush=True)
    sys.stdin.read()  # block until killed (or stdin closes)
    rec.stop(load=False)


if __name__ == "__main__":
    main()
