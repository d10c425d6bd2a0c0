#!/usr/bin/env python3
"""A curses program for agent/tests/screen_restore.rs: draws a bordered window once (ncurses
draws borders with the line-drawing set, `ESC ( 0`, on xterm-256color), then rewrites one line
UPDATES times (so a small ring wraps many times), writes "footer: finished" on the last row and
waits.

Usage: curses_box.py UPDATES
"""

import curses
import sys
import time


def main(stdscr: "curses.window") -> None:
    updates = int(sys.argv[1])
    rows, cols = stdscr.getmaxyx()
    curses.curs_set(0)
    box = stdscr.derwin(rows - 2, cols, 0, 0)
    box.box()
    box.addstr(0, 2, " box demo ")
    box.hline(2, 1, curses.ACS_HLINE, cols - 2)
    box.addstr(1, 2, "line drawing: ")
    box.addch(curses.ACS_DIAMOND)
    box.addch(curses.ACS_CKBOARD)
    box.addch(curses.ACS_DEGREE)
    box.addch(curses.ACS_PLMINUS)
    box.addch(curses.ACS_BULLET)
    stdscr.addstr(rows - 1, 0, "footer: running")
    stdscr.refresh()
    for i in range(updates):
        box.addstr(4, 3, "count %08d" % i)
        box.refresh()
    stdscr.addstr(rows - 1, 0, "footer: finished")
    stdscr.refresh()
    time.sleep(3600)


if __name__ == "__main__":
    curses.wrapper(main)
