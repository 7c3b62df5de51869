# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive Debian's chromium, headless, through the DevTools protocol on a
pipe (--remote-debugging-pipe: commands on fd 3, replies on fd 4, one JSON
message per NUL byte), with the standard library only.

    /usr/bin/python3 browser.py SCENARIO URL USER PASSWORD SPKI OUTDIR

SCENARIO "fleet" (tests/console/test_console_browser.sh): logs in (a wrong
password first), sees the enrolled device and its live session, flags it,
watches the session disappear, clears it, watches it come back; writes
console-devices.png and console-device.png into OUTDIR. Prints one line per
step: "PASS what" or "FAIL what: detail"; exits 1 at the first failure.
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

DEVICE = "SUB-0042"


class Chromium:
    def __init__(self, profile, spki):
        r_cmd, w_cmd = os.pipe()      # we write commands, chromium reads fd 3
        r_out, w_out = os.pipe()      # chromium writes fd 4, we read
        # The child's ends above 10 (close-on-exec): dup2 onto 3 and 4 clobbers nothing,
        # and only 3 and 4 (inheritable) reach chromium.
        c_in = fcntl.fcntl(r_cmd, fcntl.F_DUPFD_CLOEXEC, 10)
        c_out = fcntl.fcntl(w_out, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(r_cmd)
        os.close(w_out)

        def child():
            os.dup2(c_in, 3)
            os.dup2(c_out, 4)

        args = ["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", "--user-data-dir=" + profile,
                "--ignore-certificate-errors-spki-list=" + spki,
                "--no-first-run", "--no-default-browser-check", "--window-size=1280,900",
                "about:blank"]
        self.proc = subprocess.Popen(args, close_fds=False, preexec_fn=child,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(profile, "chromium.log"), "wb"))
        os.close(c_in)
        os.close(c_out)
        self.w = w_cmd
        self.r = r_out
        self.buf = b""
        self.next_id = 0
        self.session = None

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=20):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def open(self, url):
        t = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        a = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = a["sessionId"]
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page script failed: %s" % r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def wait(self, expr, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.js(expr):
                    return True
            except RuntimeError:
                pass
            time.sleep(0.1)
        return False

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))


def q(s):
    return json.dumps(s)


def fleet(b, url, user, password, outdir):
    """The scenario; yields (ok, what, detail)."""
    b.open(url)
    yield b.wait("!document.getElementById('login-view').hidden", 10), \
        "the page asks for a login", b.js("document.body.innerText")

    login = ("document.getElementById('login-user').value=%s;"
             "document.getElementById('login-pass').value=%s;"
             "document.getElementById('login-btn').click(); true")
    b.js(login % (q(user), q("not-" + password)))
    yield b.wait("document.getElementById('login-error').textContent.includes('denied')", 10) and \
        b.js("document.getElementById('fleet-view').hidden"), \
        "a wrong password is refused in the page", b.js("document.body.innerText")

    b.js(login % (q(user), q(password)))
    row = "document.querySelector('#devices tr[data-device=%s]')" % q(DEVICE)
    yield b.wait(row + " !== null", 10), "after login the device list shows " + DEVICE, \
        b.js("document.body.innerText")
    yield b.wait(row + ".children[1].textContent === 'affirming'", 10), \
        "its posture is affirming", b.js(row + " && " + row + ".innerText")
    live = "document.querySelector('#sessions tr.session[data-device=%s]') !== null" % q(DEVICE)
    yield b.wait(live + " && document.querySelector('#sessions .nas[data-nas=\"ap-substation-7\"]')"
                 " !== null", 10), "its live session is listed under NAS ap-substation-7", \
        b.js("document.getElementById('sessions').innerText")
    yield b.wait("document.getElementById('stream-state').textContent === 'live' && "
                 "document.querySelectorAll('#events li').length > 0", 10), \
        "the event stream is live and shows events", b.js("document.getElementById('events').innerText")
    b.screenshot(os.path.join(outdir, "console-devices.png"))

    b.js("location.hash = '#/device/' + encodeURIComponent(%s); true" % q(DEVICE))
    sessions = "document.querySelectorAll('#dv-sessions tbody tr').length"
    yield b.wait(sessions + " >= 1 && !document.getElementById('verdict-form').hidden", 10), \
        "the device page shows the live session and the SOC verdict form", \
        b.js("document.getElementById('device-view').innerText")

    verdict = ("document.getElementById('verdict-status').value=%s;"
               "document.getElementById('verdict-reason').value=%s;"
               "document.getElementById('verdict-btn').click(); true")
    t0 = time.monotonic()
    b.js(verdict % (q("contraindicated"), q("EDR alert 4711")))
    yield b.wait("document.getElementById('action-result').textContent.startsWith('Verdict set')",
                 15), "the SOC user flags the device", \
        b.js("document.getElementById('action-result').textContent")
    yield b.wait(sessions + " === 0", 20), \
        "the live session disappears (Disconnect ACKed) after %.1f s" % (time.monotonic() - t0), \
        b.js("document.getElementById('device-view').innerText")
    facts = "document.getElementById('dv-facts').innerText"
    yield b.wait(facts + ".includes('contraindicated: EDR alert 4711 (console user %s)')" % user,
                 10), "the page shows the verdict with the acting user", b.js(facts)

    t0 = time.monotonic()
    b.js(verdict % (q("affirming"), q("case closed")))
    yield b.wait("document.getElementById('action-result').textContent === "
                 "'Verdict set: affirming'", 15), "the SOC user clears the device", \
        b.js("document.getElementById('action-result').textContent")
    yield b.wait(sessions + " >= 1 && " + facts + ".includes('SOC verdict\\tnone')", 60), \
        "the device is re-admitted: a live session again after %.1f s" % (time.monotonic() - t0), \
        b.js("document.getElementById('device-view').innerText")
    yield b.wait("document.querySelectorAll('#dv-history tbody tr').length >= 3", 10), \
        "the history shows the flag and the clear", \
        b.js("document.getElementById('dv-history').innerText")
    b.screenshot(os.path.join(outdir, "console-device.png"))
    yield True, "screenshots written to " + outdir, ""


def main():
    scenario, url, user, password, spki, outdir = sys.argv[1:7]
    profile = tempfile.mkdtemp(prefix="acmerats-chromium.")
    b = Chromium(profile, spki)
    rc = 0
    try:
        for ok, what, detail in {"fleet": fleet}[scenario](b, url, user, password, outdir):
            if ok:
                print("PASS " + what, flush=True)
            else:
                print("FAIL %s: %s" % (what, str(detail)[:400].replace("\n", " | ")), flush=True)
                rc = 1
                break
    except Exception as e:   # the browser died or hung: a failure, not a skip
        print("FAIL chromium: %s" % e, flush=True)
        rc = 1
    finally:
        b.close()
        subprocess.run(["rm", "-rf", profile])
    return rc


if __name__ == "__main__":
    sys.exit(main())
