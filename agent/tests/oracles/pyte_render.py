#!/usr/bin/env python3
"""Renders terminal output bytes with pyte, an emulator nobody in this project wrote.

Usage: pyte_render.py COLS ROWS < bytes

Prints the screen's rows (trailing spaces removed, trailing blank rows dropped), then a line
`--cursor ROW COL hidden=0|1` (0-based). Run through `outpost_testkit::venv::pyte_render` by
agent/tests/screen_restore.rs and src-tauri/tests/gui_recordings.rs as the oracle for what a
newly attached client (or a replay) shows.
"""

import sys

import pyte


def main() -> None:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    stream.feed(sys.stdin.buffer.read())
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")
    out.write(f"--cursor {screen.cursor.y} {screen.cursor.x} hidden={int(screen.cursor.hidden)}\n")


if __name__ == "__main__":
    main()
