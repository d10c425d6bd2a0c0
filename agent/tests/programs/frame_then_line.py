#!/usr/bin/env python3
"""A full-screen program for agent/tests/screen_restore.rs: draws a frame once (a reversed
header, a bordered body with text in colour, a footer), then rewrites one line UPDATES times
(so a small ring wraps many times), writes "footer: finished" and waits.

Usage: frame_then_line.py COLS ROWS UPDATES [dense]

With "dense", every body row is filled with words in changing colours and attributes (a worst
case for a snapshot's size).
"""

import sys
import time


def main() -> None:
    cols, rows, updates = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    dense = sys.argv[4:] == ["dense"]
    out = sys.stdout.buffer
    w = out.write
    w(b"\x1b[2J\x1b[H")
    w(b"\x1b[1;1H\x1b[7m" + b"HEADER frame demo".ljust(cols) + b"\x1b[0m")
    for r in range(2, rows):
        w(b"\x1b[%d;1H|" % r)
        if dense:
            line = b""
            for c in range(2, cols - 8, 8):
                line += b"\x1b[%d;38;5;%d;48;5;%dmw%06d " % (1 + c % 4, (r * c) % 256, (r + c) % 256, c)
            w(line + b"\x1b[0m")
        elif r % 3 == 0:
            w(b"\x1b[1;3%dm body row %d \x1b[0m" % (r % 7 + 1, r))
        w(b"\x1b[%d;%dH|" % (r, cols))
    w(b"\x1b[%d;1H\x1b[1;32mfooter: running\x1b[0m" % rows)
    out.flush()
    for i in range(updates):
        w(b"\x1b[4;3H\x1b[33mcount %08d\x1b[0m" % i)
        if i % 200 == 0:
            out.flush()
    w(b"\x1b[%d;1H\x1b[1;32mfooter: finished\x1b[0m\x1b[5;5H" % rows)
    out.flush()
    time.sleep(3600)


if __name__ == "__main__":
    main()
