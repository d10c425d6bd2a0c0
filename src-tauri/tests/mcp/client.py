"""Drives `outpost mcp` over stdio with the official MCP Python SDK (`mcp` on PyPI), as an AI
agent's client would. Started by src-tauri/tests/mcp.rs:

    client.py SCENARIO [ARG]

The server is `$OUTPOST_BIN mcp` plus the JSON list in `$OUTPOST_MCP_ARGS`, with this process's
environment. Each scenario asserts what it sees (an AssertionError exits non-zero with the
reason) and prints one JSON line of facts for the Rust test on stdout.
"""

import asyncio
import functools
import http.server
import json
import os
import socket
import statistics
import sys
import threading
import time
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

TOOLS = {
    "hosts_list", "host_check", "sessions_list", "session_open", "session_exec",
    "session_exec_result", "session_send", "session_read", "session_expect",
    "session_interrupt", "session_close", "exec_run", "group_exec", "monitor_snapshot", "policy",
    "files_list", "file_stat", "file_read", "file_write", "file_upload", "file_download",
    "file_mkdir", "file_remove", "file_move", "forward_open", "forward_list", "forward_close",
}


def server():
    args = ["mcp"] + json.loads(os.environ.get("OUTPOST_MCP_ARGS", "[]"))
    return StdioServerParameters(command=os.environ["OUTPOST_BIN"], args=args, env=dict(os.environ))


class Client:
    def __init__(self, session):
        self.s = session

    async def call(self, tool, **args):
        """Calls a tool; returns (is_error, structured content)."""
        r = await self.s.call_tool(tool, args)
        data = r.structured_content
        if data is None:
            data = json.loads(r.content[0].text)
        return bool(r.is_error), data

    async def ok(self, tool, **args):
        err, data = await self.call(tool, **args)
        assert not err, f"{tool} {args} failed: {data}"
        return data

    async def refused(self, tool, rule, **args):
        err, data = await self.call(tool, **args)
        assert err, f"{tool} {args} should have been refused: {data}"
        e = data["error"]
        assert e["code"] == "policy_refused", f"{tool}: {e}"
        assert e["rule"] == rule, f"{tool}: rule {e['rule']!r}, expected {rule!r}: {e}"
        return e


async def schemas(c):
    tools = (await c.s.list_tools()).tools
    names = {t.name for t in tools}
    assert names == TOOLS, f"tools: {sorted(names)}"
    by_name = {t.name: t for t in tools}
    for t in tools:
        assert t.description and len(t.description) > 40, f"{t.name}: {t.description!r}"
        schema = t.input_schema
        assert schema.get("type") == "object", f"{t.name}: {schema}"
    exec_schema = by_name["session_exec"].input_schema
    assert set(exec_schema["required"]) == {"host", "session_id", "command"}, exec_schema
    props = exec_schema["properties"]
    assert props["timeout_ms"].get("description"), props
    assert exec_schema.get("additionalProperties") is False, exec_schema
    write = by_name["file_write"].input_schema
    assert set(write["required"]) == {"host", "path", "content"}, write
    assert write.get("additionalProperties") is False, write
    assert by_name["file_read"].input_schema["properties"]["max_bytes"].get("description"), by_name["file_read"]
    send = by_name["session_send"].input_schema
    assert "expect" in send["properties"], send
    sig = json.dumps(by_name["session_interrupt"].input_schema)
    for s in ["INT", "TERM", "KILL"]:
        assert f'"{s}"' in sig, sig
    hosts = (await c.ok("hosts_list"))["hosts"]
    assert hosts[0]["name"] == "local", hosts
    return {"tools": sorted(names)}


async def basic(c):
    """Calls that need no command tracking: hosts, a session typed into and read, the policy
    tightened at run time, and the session ended."""
    hosts = (await c.ok("hosts_list"))["hosts"]
    assert [h["name"] for h in hosts] == ["local"], hosts
    info = await c.ok("host_check", host="local")
    assert info["host"] == "local" and info["agent_version"], info
    snap = await c.ok("monitor_snapshot", host="local")
    assert snap.get("hostname"), snap
    s = await c.ok("session_open", host="local")
    sid = s["session_id"]
    sent = await c.ok("session_send", host="local", session_id=sid, text="echo TYPED-SECRET-$((2+3))", enter=True)
    assert sent["bytes_sent"] == len("echo TYPED-SECRET-$((2+3))") + 1, sent
    read = await c.ok("session_read", host="local", session_id=sid, from_offset=0, follow_ms=5000)
    deadline = time.monotonic() + 10
    seen = read["text"]
    offset = read["next_offset"]
    while "TYPED-SECRET-5" not in seen and time.monotonic() < deadline:
        more = await c.ok("session_read", host="local", session_id=sid, from_offset=offset, follow_ms=1000)
        seen += more["text"]
        offset = more["next_offset"]
    assert "TYPED-SECRET-5" in seen, seen
    listed = (await c.ok("sessions_list", host="local"))["sessions"]
    assert sid in [x["session_id"] for x in listed], listed
    changed = await c.ok("policy", disable_tools=["exec_run"])
    assert changed["changed"] and changed["policy"]["disabled_tools"] == ["exec_run"], changed
    err, data = await c.call("policy", disable_tools=["no_such_tool"])
    assert err and data["error"]["code"] == "invalid", data
    await c.refused("exec_run", "disabled_tools", host="local", argv=["true"])
    await c.ok("session_close", host="local", session_id=sid)
    return {"session_id": sid}


async def open_session(c):
    """Opens a local shell session and leaves it running."""
    s = await c.ok("session_open", host="local", title="mcp-policy")
    await c.ok("session_close", host="local", session_id=s["session_id"], leave_running=True)
    return {"session_id": s["session_id"]}


async def session(c):
    """Opens a local shell session and drives it: exec with exit codes, cwd kept between
    execs, expect/respond, read by offset, then leaves it running."""
    s = await c.ok("session_open", host="local", title="mcp-test")
    sid = s["session_id"]
    r = await c.ok("session_exec", host="local", session_id=sid, command="echo hello-$((6*7))")
    assert r["exit_code"] == 0 and "hello-42" in r["output"], r
    r = await c.ok("session_exec", host="local", session_id=sid, command="(exit 3)")
    assert r["exit_code"] == 3, r
    r = await c.ok("session_exec", host="local", session_id=sid, command="false")
    assert r["exit_code"] == 1, r
    r = await c.ok("session_exec", host="local", session_id=sid, command="cd /tmp && mkdir -p mcp-cwd-test && cd mcp-cwd-test")
    assert r["exit_code"] == 0, r
    r = await c.ok("session_exec", host="local", session_id=sid, command="pwd")
    assert r["output"].strip().endswith("/tmp/mcp-cwd-test"), r
    # Expect/respond: a prompt answered from the pairs; the typed answer never reaches the log.
    r = await c.ok(
        "session_send", host="local", session_id=sid,
        text="read -r -p 'Passphrase? ' p; echo \"got-${#p}-chars\"", enter=True,
        expect=[{"pattern": r"Passphrase\? $", "respond": "MCP-SECRET-RESPONSE"}],
        timeout_ms=10000,
    )
    assert len(r["matches"]) == 1, r
    m = await c.ok("session_expect", host="local", session_id=sid,
                   patterns=[r"got-(\d+)-chars"], from_offset=r["next_offset"], timeout_ms=10000)
    assert m["matched"] == "got-19-chars", m
    read = await c.ok("session_read", host="local", session_id=sid, from_offset=0, max_bytes=65536)
    assert "hello-42" in read["text"] and "\x1b" not in read["text"], read
    page = await c.ok("session_read", host="local", session_id=sid, from_offset=0, max_bytes=10)
    assert page["next_offset"] == page["offset"] + 10 and page["more"], page
    follow = await c.ok("session_read", host="local", session_id=sid,
                        from_offset=read["output_end"], max_bytes=10, follow_ms=50)
    assert follow["text"] == "" and follow["next_offset"] == read["output_end"], follow
    err, data = await c.call("session_read", host="local", session_id=sid,
                             from_offset=read["output_end"] + 10**6)
    assert err and data["error"]["code"] == "rpc_32602", data
    err, data = await c.call("session_expect", host="local", session_id=sid,
                             patterns=["never-printed-xyz"], timeout_ms=200)
    assert err and data["error"]["code"] == "timed_out", data
    err, data = await c.call("session_exec", host="local", session_id=sid, command="   ")
    assert err and data["error"]["code"] == "empty_command", data
    listed = (await c.ok("sessions_list", host="local"))["sessions"]
    assert sid in [x["session_id"] for x in listed], listed
    await c.ok("session_close", host="local", session_id=sid, leave_running=True)
    return {"session_id": sid}


async def resume(c, sid):
    """A new server finds the session left running and its shell's state."""
    listed = (await c.ok("sessions_list", host="local"))["sessions"]
    assert sid in [x["session_id"] for x in listed], listed
    r = await c.ok("session_exec", host="local", session_id=sid, command="pwd")
    assert r["output"].strip().endswith("/tmp/mcp-cwd-test"), r
    return {"session_id": sid}


async def interrupt(c, sid):
    """A running command is interrupted; a busy shell is refused; the session is ended."""
    r = await c.ok("session_exec", host="local", session_id=sid, command="sleep 30", timeout_ms=300)
    assert r.get("timed_out") and "exit_code" not in r, r
    err, data = await c.call("session_exec", host="local", session_id=sid, command="true")
    assert err and data["error"]["code"] == "session_busy", data
    await c.ok("session_interrupt", host="local", session_id=sid, signal="INT")
    done = await c.ok("session_exec_result", host="local", exec_id=r["exec_id"])
    deadline = time.monotonic() + 10
    while "exit_code" not in done and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        done = await c.ok("session_exec_result", host="local", exec_id=r["exec_id"])
    assert done.get("exit_code") == 130, done
    run = await c.ok("exec_run", host="local", argv=["sh", "-c", "echo out; echo err >&2; exit 4"])
    assert run["exit_code"] == 4 and run["stdout"] == "out\n" and run["stderr"] == "err\n", run
    g = await c.ok("group_exec", sessions=[{"host": "local", "session_id": sid}], command="echo grouped")
    assert g["results"][0]["ok"] and g["results"][0]["result"]["exit_code"] == 0, g
    snap = await c.ok("monitor_snapshot", host="local")
    assert snap.get("hostname"), snap
    await c.ok("session_close", host="local", session_id=sid)
    listed = (await c.ok("sessions_list", host="local"))["sessions"]
    assert sid not in [x["session_id"] for x in listed if x["state"] == "running"], listed
    return {}


async def policy(c, sid):
    """The policy file denies `rm`, disables exec_run and lets the policy tool only tighten."""
    e = await c.refused("session_exec", "hosts.*.deny_commands[0]", host="local", session_id=sid,
                        command="rm -f /tmp/mcp-never")
    assert e["pattern"] == "\\brm\\b", e
    await c.refused("exec_run", "disabled_tools", host="local", argv=["true"])
    await c.refused("session_exec", "allowed_hosts", host="elsewhere", session_id=sid, command="true")
    await c.refused("policy", "runtime_changes", enable_tools=["exec_run"])
    g = await c.ok("group_exec", sessions=[{"host": "local", "session_id": sid}], command="rm -rf /tmp/x")
    assert g["results"][0]["error"]["rule"] == "hosts.*.deny_commands[0]", g
    sent = await c.ok("session_send", host="local", session_id=sid, text="echo allowed", enter=True)
    assert sent["bytes_sent"] == 13, sent
    shown = await c.ok("policy")
    assert shown["changed"] is False and shown["policy"]["disabled_tools"] == ["exec_run"], shown
    await c.ok("policy", host="local", read_only=True)
    await c.refused("session_exec", "hosts.local.read_only", host="local", session_id=sid, command="echo no")
    await c.refused("session_send", "hosts.local.read_only", host="local", session_id=sid, text="echo no")
    # Looking is still allowed.
    await c.ok("session_read", host="local", session_id=sid, max_bytes=100)
    return {}


async def read_only(c, sid):
    """The policy file makes `local` read-only: nothing is typed, run, opened or ended."""
    rule = "hosts.local.read_only"
    await c.refused("session_exec", rule, host="local", session_id=sid, command="true")
    await c.refused("session_send", rule, host="local", session_id=sid, text="x")
    await c.refused("session_open", rule, host="local")
    await c.refused("session_interrupt", rule, host="local", session_id=sid)
    await c.refused("session_close", rule, host="local", session_id=sid)
    await c.refused("exec_run", rule, host="local", argv=["true"])
    await c.ok("sessions_list", host="local")
    await c.ok("session_read", host="local", session_id=sid, max_bytes=100)
    await c.ok("session_close", host="local", session_id=sid, leave_running=True)
    return {}


async def files(c, host, workdir):
    """Files on a saved SSH host: write and read back (text, base64, by offset), upload and
    download (the SHA-256 the server reports checked by the Rust side with sha256sum),
    mkdir/move/remove, stat, list, and errors as data."""
    w = await c.ok("file_write", host=host, path="notes.txt", content="héllo\nworld\n")
    assert w["bytes"] == len("héllo\nworld\n".encode()), w
    r = await c.ok("file_read", host=host, path="notes.txt")
    assert r["encoding"] == "text" and r["content"] == "héllo\nworld\n" and r["eof"], r
    part = await c.ok("file_read", host=host, path="notes.txt", offset=7, max_bytes=3)
    assert part["content"] == "wor" and part["next_offset"] == 10 and not part["eof"], part
    await c.ok("file_write", host=host, path="bin.dat", content="/wABAg==", encoding="base64")
    b = await c.ok("file_read", host=host, path="bin.dat")
    assert b["encoding"] == "base64" and b["content"] == "/wABAg==", b
    err, e = await c.call("file_write", host=host, path="notes.txt", content="x", overwrite=False)
    assert err and e["error"]["code"] == "exists", e
    await c.ok("file_mkdir", host=host, path="d/e/f", parents=True)
    err, e = await c.call("file_mkdir", host=host, path="d")
    assert err and e["error"]["code"] == "exists", e
    up = await c.ok("file_upload", host=host, path="d/e/f/big.bin", local_path=f"{workdir}/big.bin")
    down = await c.ok("file_download", host=host, path="d/e/f/big.bin", local_path=f"{workdir}/back.bin")
    assert up["sha256"] == down["sha256"] and up["bytes"] == down["bytes"], (up, down)
    await c.ok("file_move", host=host, path="d/e/f/big.bin", to="d/moved.bin")
    st = await c.ok("file_stat", host=host, path="d/moved.bin")
    assert st["exists"] and st["entry"]["kind"] == "file" and st["entry"]["size"] == up["bytes"], st
    gone = await c.ok("file_stat", host=host, path="d/e/f/big.bin")
    assert gone["exists"] is False, gone
    names = {e["name"]: e["kind"] for e in (await c.ok("files_list", host=host, path="d"))["entries"]}
    assert names == {"e": "dir", "moved.bin": "file"}, names
    err, e = await c.call("file_remove", host=host, path="d/e")
    assert err and e["error"]["code"] == "not_empty", e
    await c.ok("file_remove", host=host, path="d/moved.bin")
    await c.ok("file_remove", host=host, path="d/e/f")
    err, e = await c.call("file_read", host=host, path="d/moved.bin")
    assert err and e["error"]["code"] == "not_found", e
    err, e = await c.call("file_read", host=host, path="d")
    assert err and e["error"]["code"] == "is_a_directory", e
    return {"sha256": up["sha256"], "bytes": up["bytes"]}


async def files_read_only(c, host, workdir):
    """A read-only host: every file tool that changes something is refused naming the rule;
    reading still works."""
    rule = f"hosts.{host}.read_only"
    await c.refused("file_write", rule, host=host, path="notes.txt", content="changed")
    await c.refused("file_upload", rule, host=host, path="x.bin", local_path=f"{workdir}/big.bin")
    await c.refused("file_mkdir", rule, host=host, path="newdir")
    await c.refused("file_remove", rule, host=host, path="notes.txt")
    await c.refused("file_move", rule, host=host, path="notes.txt", to="n2.txt")
    r = await c.ok("file_read", host=host, path="notes.txt")
    assert r["content"] == "héllo\nworld\n", r
    await c.refused("files_list", "disabled_tools", host=host, path=".")
    return {}


def free_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def refuses(addr, timeout=10):
    """Waits until a connection to addr ("ip:port") is refused; false if it never is."""
    ip, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((ip, int(port)), timeout=2):
                pass
        except ConnectionRefusedError:
            return True
        await asyncio.sleep(0.05)
    return False


async def forwards(c, host, workdir):
    """An -L forward through `host` to a stdlib HTTP server on loopback (the host is this
    machine): a page fetched through it by urllib, its counters, errors as data, and the port
    refusing once closed; then an -R forward the host listens for, back to the same server."""
    body = "forwarded page " * 500
    with open(f"{workdir}/page.txt", "w") as f:
        f.write(body)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=workdir)
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    port = web.server_address[1]
    try:
        f = await c.ok("forward_open", host=host, spec=f"-L 0:127.0.0.1:{port}")
        fid, local = f["id"], f["local"]
        assert fid.startswith("L127.0.0.1:") and fid.endswith(f":127.0.0.1:{port}"), f
        assert local.startswith("127.0.0.1:") and not local.endswith(":0"), f
        assert f["link"]["state"] == "up" and f["host"] == host, f
        url = f"http://{local}/page.txt"
        got = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=20).read().decode())
        assert got == body, got[:200]
        deadline = time.monotonic() + 10
        while True:
            listed = (await c.ok("forward_list", host=host))["forwards"]
            assert [x["id"] for x in listed] == [fid], listed
            stats = listed[0]["stats"]
            if stats["bytes_in"] > len(body) and stats["active"] == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert stats["accepted"] == 1 and stats["bytes_out"] > 0 and stats["bytes_in"] > len(body), stats
        assert listed[0]["link"]["state"] == "up", listed
        assert (await c.ok("forward_list", host="other"))["forwards"] == [], "host filter"
        err, e = await c.call("forward_open", host=host, spec=f"-L {local.rsplit(':', 1)[1]}:127.0.0.1:{port}")
        assert err and e["error"]["code"] == "port_in_use", e
        err, e = await c.call("forward_open", host=host, spec=f"-L 0:127.0.0.1:{free_port()}")
        assert err and e["error"]["code"] == "unreachable", e
        err, e = await c.call("forward_open", host=host, spec="8080:db:5432")
        assert err and e["error"]["code"] == "forward_invalid", e
        err, e = await c.call("forward_open", host=host, spec="-D 70000")
        assert err and e["error"]["code"] == "forward_invalid", e
        closed = await c.ok("forward_close", id=fid)
        assert closed["id"] == fid and closed["stats"]["bytes_in"] == stats["bytes_in"], closed
        assert await refuses(local), f"{local} still accepts after forward_close"
        assert (await c.ok("forward_list"))["forwards"] == [], "closed forward listed"
        err, e = await c.call("forward_close", id=fid)
        assert err and e["error"]["code"] == "invalid", e
        # -R: the host (this machine's sshd) listens on a port it picks, and each connection
        # there comes back here to the web server.
        r = await c.ok("forward_open", host=host, spec=f"-R 127.0.0.1:0:127.0.0.1:{port}")
        rid, remote = r["id"], r["remote"]
        assert rid.startswith("R127.0.0.1:") and "local" not in r, r
        assert remote.startswith("127.0.0.1:") and not remote.endswith(":0"), r
        url = f"http://{remote}/page.txt"
        got = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=20).read().decode())
        assert got == body, got[:200]
        listed = [x for x in (await c.ok("forward_list", host=host))["forwards"] if x["id"] == rid]
        assert len(listed) == 1 and listed[0]["remote"] == remote, listed
        assert (await c.ok("forward_close", id=rid))["id"] == rid
        assert await refuses(remote), f"{remote} still accepts after forward_close"
        # Left open: it ends with the server (the Rust test checks its port afterwards).
        left = (await c.ok("forward_open", host=host, spec=f"-L 0:127.0.0.1:{port}"))["local"]
        with socket.create_connection(tuple([left.rsplit(":", 1)[0], int(left.rsplit(":", 1)[1])]), timeout=5):
            pass
    finally:
        web.shutdown()
    return {"id": fid, "local": local, "left": left, "bytes_in": stats["bytes_in"], "bytes_out": stats["bytes_out"], "page": len(body)}


async def forwards_read_only(c, host):
    """A read-only host refuses forward_open naming the rule; a disabled tool is refused."""
    port = free_port()
    await c.refused("forward_open", f"hosts.{host}.read_only", host=host, spec=f"-L {port}:127.0.0.1:22")
    assert await refuses(f"127.0.0.1:{port}", timeout=1), "a refused forward listens"
    assert (await c.ok("forward_list"))["forwards"] == []
    await c.refused("forward_close", "disabled_tools", id=f"L127.0.0.1:{port}:127.0.0.1:22")
    return {"port": port}


async def bench(c, sid, n=60):
    """session_exec of `true`, n times, end to end through this client: p50 and p99 in ms."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = await c.ok("session_exec", host="local", session_id=sid, command="true")
        times.append((time.perf_counter() - t) * 1000)
        assert r["exit_code"] == 0, r
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"session_exec `true` through MCP: n={n} p50={p50:.1f} ms p99={p99:.1f} ms", file=sys.stderr)
    return {"p50_ms": p50, "p99_ms": p99, "n": n, "times_ms": times}


async def bench_fresh(c, n="60"):
    """`make bench`'s measure: opens a local shell session, waits for its prompt, then times
    `n` calls of session_exec `true` (after 3 warm-ups) and closes the session."""
    s = await c.ok("session_open", host="local", title="mcp-bench")
    sid = s["session_id"]
    for _ in range(3):
        await c.ok("session_exec", host="local", session_id=sid, command="true")
    facts = await bench(c, sid, int(n))
    await c.ok("session_close", host="local", session_id=sid)
    return facts


SCENARIOS = {
    "schemas": schemas, "basic": basic, "open": open_session, "session": session, "resume": resume, "interrupt": interrupt,
    "policy": policy, "read_only": read_only, "bench": bench, "bench_fresh": bench_fresh,
    "files": files, "files_read_only": files_read_only,
    "forwards": forwards, "forwards_read_only": forwards_read_only,
}


async def main():
    name, args = sys.argv[1], sys.argv[2:]
    async with stdio_client(server()) as (read, write):
        async with ClientSession(read, write) as s:
            init = await s.initialize()
            assert init.server_info.name == "outpost", init
            facts = await SCENARIOS[name](Client(s), *args)
    print(json.dumps(facts))


if __name__ == "__main__":
    asyncio.run(main())
